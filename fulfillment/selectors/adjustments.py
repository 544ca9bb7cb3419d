"""Reads of inventory adjustments, always within the caller's tenant and environment."""

from __future__ import annotations

from django.db.models import QuerySet

from config.api.errors import NotFound, ValidationFailed
from fulfillment.models import AdjustmentReason, InventoryAdjustment, Warehouse


def adjustment_list(
    *, scope, sku: str | None = None, warehouse_id: str | None = None, reason: str | None = None
) -> QuerySet[InventoryAdjustment]:
    """The scope's adjustments for the feed, filtered by sku, warehouse public id and reason."""
    queryset = InventoryAdjustment.objects.for_scope(scope).select_related("warehouse")
    if reason:
        if reason not in AdjustmentReason.values:
            raise ValidationFailed(
                f"reason must be one of {', '.join(AdjustmentReason.values)}.", code="invalid_choice", field="reason"
            )
        queryset = queryset.filter(reason=reason)
    if sku:
        queryset = queryset.filter(sku=sku)
    if warehouse_id:
        warehouse = Warehouse.objects.filter(public_id=warehouse_id).first()
        if warehouse is None:
            raise ValidationFailed(
                f"warehouse_id '{warehouse_id}' is not a known warehouse.",
                code="invalid_warehouse",
                field="warehouse_id",
            )
        queryset = queryset.filter(warehouse=warehouse)
    return queryset


def adjustment_get(*, scope, public_id: str) -> InventoryAdjustment:
    """One adjustment of the scope by its `adj_…` id; another tenant's or environment's is a 404."""
    adjustment = (
        InventoryAdjustment.objects.for_scope(scope).select_related("warehouse").filter(public_id=public_id).first()
    )
    if adjustment is None:
        raise NotFound(f"No inventory adjustment {public_id}.", code="adjustment_not_found")
    return adjustment
