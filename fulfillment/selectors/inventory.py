"""Reads of inventory: one InventoryRecord per SKU with its stock cells, within the caller's scope."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from fulfillment.models import InventoryRecord, StockLevel


def _levels(warehouse_public_id: str | None = None) -> QuerySet[StockLevel]:
    queryset = StockLevel.objects.select_related("warehouse").order_by("warehouse__public_id")
    if warehouse_public_id is not None:
        queryset = queryset.filter(warehouse__public_id=warehouse_public_id)
    return queryset


def inventory_for_scope(
    scope, *, sku: str | None = None, warehouse_public_id: str | None = None
) -> QuerySet[InventoryRecord]:
    """The inventory feed: one row per SKU that has stock cells, each with its warehouses prefetched.

    With a warehouse filter, only SKUs with a cell at that warehouse are listed
    and each shows only that warehouse.
    """
    queryset = InventoryRecord.objects.for_scope(scope).select_related("product")
    if sku is not None:
        queryset = queryset.filter(product__sku=sku)
    if warehouse_public_id is not None:
        queryset = queryset.filter(product__stock_levels__warehouse__public_id=warehouse_public_id)
    return queryset.prefetch_related(Prefetch("product__stock_levels", queryset=_levels(warehouse_public_id)))


def inventory_records_for_products(*, tenant, environment: str, product_ids) -> list[InventoryRecord]:
    """Inventory rows of some products with their cells, for `inventory.updated` events (one batch of queries)."""
    return list(
        InventoryRecord.objects.filter(tenant=tenant, environment=environment, product_id__in=product_ids)
        .select_related("product")
        .prefetch_related(Prefetch("product__stock_levels", queryset=_levels()))
        .order_by("product_id")
    )
