"""GET /v1/inventory (per SKU, per warehouse; updated_since, cursor, sku, warehouse_id) and GET /v1/inventory/{sku}.

A full scan (no updated_since, sku or cursor) is subject to the connection's
full-poll interval (fulfillment/services/inventory.py).
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from config.api.errors import NotFound
from config.api.fields import KeyField
from config.api.pagination import parse_limit
from config.api.renderers import format_datetime
from config.api.schema import PAGE_PARAMETERS, paginated
from config.api.views import ApiView
from fulfillment.models import Product
from fulfillment.presenters.inventory import inventory_data
from fulfillment.selectors.inventory import inventory_for_scope
from fulfillment.services.inventory import inventory_full_poll_claim


class InventoryListFilters(serializers.Serializer):
    sku = KeyField(required=False)
    warehouse_id = KeyField(required=False)
    updated_since = serializers.CharField(required=False)
    cursor = serializers.CharField(required=False)


class WarehouseStockOut(serializers.Serializer):
    warehouse_id = serializers.CharField()
    on_hand = serializers.IntegerField()
    available = serializers.IntegerField()
    allocated = serializers.IntegerField()
    incoming = serializers.IntegerField()
    backordered = serializers.IntegerField()


class InventoryOut(serializers.Serializer):
    sku = serializers.CharField()
    updated_at = serializers.CharField()
    warehouses = WarehouseStockOut(many=True)


LIST_PARAMETERS = [
    *PAGE_PARAMETERS,
    OpenApiParameter("sku", str, description="Only this SKU (never limited by the full-scan policy)."),
    OpenApiParameter("warehouse_id", str, description="Only this warehouse's numbers (e.g. wh_syd_1)."),
]


def render_inventory(rows) -> list[dict]:
    return [inventory_data(r) for r in rows]


class InventoryListView(ApiView):
    # Full scans are the heavy reads; incremental polls are cheap but share the group.
    rate_limit_group = "low"

    @extend_schema(
        operation_id="inventory_list", parameters=LIST_PARAMETERS, responses=paginated(InventoryOut, "InventoryList")
    )
    def get(self, request):
        filters = self.validated(InventoryListFilters, data=request.query_params)
        queryset = inventory_for_scope(
            self.scope, sku=filters.get("sku"), warehouse_public_id=filters.get("warehouse_id")
        )
        if not (filters.get("updated_since") or filters.get("sku") or filters.get("cursor")):
            # A bad limit must not use up the connection's full scan.
            parse_limit(request.query_params.get("limit"))
            inventory_full_poll_claim(connection=self.scope.connection)
        return self.paginated(queryset, render_inventory)


class InventoryDetailView(ApiView):
    rate_limit_group = "high"

    @extend_schema(operation_id="inventory_get", responses=InventoryOut)
    def get(self, request, sku: str):
        record = inventory_for_scope(self.scope, sku=sku).first()
        if record is not None:
            return Response(inventory_data(record))
        product = Product.objects.for_scope(self.scope).filter(sku=sku).first()
        if product is None:
            raise NotFound(f"No product with SKU {sku}.", code="not_found", field="sku")
        # A known SKU that never had stock anywhere.
        return Response({"sku": product.sku, "updated_at": format_datetime(product.updated_at), "warehouses": []})


urlpatterns = [
    path("inventory", InventoryListView.as_view(), name="inventory"),
    path("inventory/<str:sku>", InventoryDetailView.as_view(), name="inventory-sku"),
]
