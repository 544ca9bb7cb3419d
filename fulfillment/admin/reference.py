"""Staff admin for fulfillment: reference data now; operations as their issues land."""

from django.contrib import admin

from fulfillment.models import Carrier, ShippingMethod, Warehouse


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["public_id", "name", "code", "city", "country", "is_active"]
    search_fields = ["public_id", "name", "code"]


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "tracking_url_template"]


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    list_display = ["public_id", "name", "carrier", "service_code", "is_active"]
    list_filter = ["carrier", "is_active"]
