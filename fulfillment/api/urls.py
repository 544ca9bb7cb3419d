from django.urls import path

from fulfillment.api.reference import ShippingMethodListView, WarehouseListView

urlpatterns = [
    path("warehouses", WarehouseListView.as_view(), name="warehouses"),
    path("shipping-methods", ShippingMethodListView.as_view(), name="shipping-methods"),
]
