"""Staff admin for the catalogue and orders. Order actions call the order services (the one status machine)."""

from __future__ import annotations

from django.contrib import admin, messages

from config.api.errors import ApiError
from fulfillment.models import Order, OrderHistory, OrderLine, Product
from fulfillment.services.orders import order_hold, order_release_hold, order_start_picking


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "description", "tenant", "environment", "barcode", "deleted_at", "updated_at"]
    list_filter = ["environment", "tenant", ("deleted_at", admin.EmptyFieldListFilter)]
    search_fields = ["sku", "description", "barcode", "tenant__slug", "tenant__name"]
    list_select_related = ["tenant"]
    readonly_fields = ["uuid", "change_seq", "created_at", "updated_at"]


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    fields = [
        "line_number",
        "sku",
        "description",
        "quantity",
        "unit_price",
        "currency",
        "quantity_allocated",
        "quantity_backordered",
        "quantity_shipped",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class OrderHistoryInline(admin.TabularInline):
    """Everything that happened to the order, and who or which connection did it."""

    model = OrderHistory
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "from_status", "to_status", "version", "changes", "actor_label", "actor_user"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


def _run(modeladmin, request, queryset, service, verb: str) -> None:
    actor = f"staff:{request.user.get_username()}"
    done = 0
    for order in queryset:
        try:
            service(order=order, actor_label=actor, actor_user=request.user)
            done += 1
        except ApiError as error:
            modeladmin.message_user(request, f"{order}: {error.message}", level=messages.ERROR)
    if done:
        modeladmin.message_user(request, f"{verb} {done} order(s).", level=messages.SUCCESS)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "public_id",
        "order_number",
        "reference",
        "tenant",
        "environment",
        "status",
        "warehouse",
        "version",
        "created_at",
    ]
    list_filter = ["status", "environment", "warehouse", "tenant"]
    search_fields = ["public_id", "order_number", "reference", "tenant__slug", "tenant__name", "status"]
    list_select_related = ["tenant", "warehouse"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, OrderHistoryInline]
    actions = ["put_on_hold", "release_hold", "start_picking"]
    # Changes go through the services (amend/cancel/transitions), never through this form.
    readonly_fields = [f.name for f in Order._meta.fields if f.name not in ("id",)]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Put on hold")
    def put_on_hold(self, request, queryset):
        _run(self, request, queryset, order_hold, "Put on hold")

    @admin.action(description="Release hold")
    def release_hold(self, request, queryset):
        _run(self, request, queryset, order_release_hold, "Released")

    @admin.action(description="Start picking (→ processing)")
    def start_picking(self, request, queryset):
        _run(self, request, queryset, order_start_picking, "Started picking")
