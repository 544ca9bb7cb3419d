"""Inventory adjustments: staff correct on_hand for damage, counts, loss, finds and expiry.

Each adjustment is one signed `quantity_delta` applied through `stock_apply`
(reason ADJUSTMENT) and one immutable InventoryAdjustment row, written
together with its `inventory.adjusted` event in one transaction.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from config.api.errors import ValidationFailed
from fulfillment.errors import StockInvariantViolated
from fulfillment.models import AdjustmentReason, InventoryAdjustment, Product, StockMovement, Warehouse
from fulfillment.services.inbound import backorders_allocate_after
from fulfillment.services.stock import StockDelta, stock_apply, stock_cells_lock
from tenants.models import Tenant

SOURCE_TYPE = "adjustment"


def adjustment_record(
    *,
    tenant: Tenant,
    environment: str,
    product: Product,
    warehouse: Warehouse,
    reason: str,
    quantity_delta: int | None = None,
    counted_quantity: int | None = None,
    note: str = "",
    actor: str = "",
) -> InventoryAdjustment:
    """Record an adjustment and change on_hand by its signed delta.

    Give either `quantity_delta`, or `counted_quantity` for a cycle count
    ("counted N"), which becomes N − on_hand at that moment. Refused with
    409 insufficient_stock (nothing written) if on_hand would go negative or
    below what is allocated to orders. After a positive adjustment the new
    units are offered to backordered orders in the same transaction.
    """
    if reason not in AdjustmentReason.values:
        raise ValidationFailed(
            f"reason must be one of {', '.join(AdjustmentReason.values)}.", code="invalid_choice", field="reason"
        )
    if (quantity_delta is None) == (counted_quantity is None):
        raise ValidationFailed(
            "Give either a quantity delta or a counted quantity.", code="missing_field", field="quantity_delta"
        )
    if counted_quantity is not None:
        if reason != AdjustmentReason.CYCLE_COUNT:
            raise ValidationFailed(
                "A counted quantity is only for the cycle_count reason.", code="invalid_choice", field="reason"
            )
        if counted_quantity < 0:
            raise ValidationFailed("A count cannot be negative.", code="out_of_range", field="counted_quantity")
    if product.tenant_id != tenant.id or product.environment != environment:
        raise ValueError("product does not belong to this tenant and environment")

    with transaction.atomic():
        cells = stock_cells_lock(tenant=tenant, environment=environment, cells=[(product.id, warehouse.id)])
        cell = cells[(product.id, warehouse.id)]
        delta = counted_quantity - cell.on_hand if counted_quantity is not None else quantity_delta
        if delta == 0:
            raise ValidationFailed(
                f"{product.sku} at {warehouse.public_id} already has on_hand {cell.on_hand}; nothing to adjust.",
                code="no_change",
                field="counted_quantity" if counted_quantity is not None else "quantity_delta",
            )
        new_on_hand = cell.on_hand + delta
        if new_on_hand < 0:
            raise StockInvariantViolated(
                f"{product.sku} at {warehouse.public_id} has on_hand {cell.on_hand}; "
                f"removing {-delta} would make it negative.",
                field="quantity_delta",
                on_hand=cell.on_hand,
                allocated=cell.allocated,
            )
        if new_on_hand < cell.allocated:
            raise StockInvariantViolated(
                f"{product.sku} at {warehouse.public_id} has on_hand {cell.on_hand} of which {cell.allocated} "
                f"is allocated to orders; removing {-delta} would leave less than is allocated. "
                "Deallocate or cancel those orders first.",
                field="quantity_delta",
                on_hand=cell.on_hand,
                allocated=cell.allocated,
            )
        adjustment = InventoryAdjustment.objects.create(
            tenant=tenant,
            environment=environment,
            product=product,
            sku=product.sku,
            warehouse=warehouse,
            quantity_delta=delta,
            reason=reason,
            note=note or "",
            counted_quantity=counted_quantity,
            adjusted_at=timezone.now(),
            actor=actor,
        )
        stock_apply(
            tenant=tenant,
            environment=environment,
            deltas=[StockDelta(product_id=product.id, warehouse_id=warehouse.id, on_hand=delta)],
            reason=StockMovement.Reason.ADJUSTMENT,
            source_type=SOURCE_TYPE,
            source_id=adjustment.public_id,
            actor=actor,
            note=reason,
            locked=cells,
        )
        from fulfillment.presenters.adjustments import adjustment_data
        from webhooks.services import event_emit

        event_emit(
            tenant=tenant, environment=environment, event_type="inventory.adjusted", data=adjustment_data(adjustment)
        )
        if delta > 0:
            backorders_allocate_after(
                tenant=tenant, environment=environment, warehouse=warehouse, product_ids={product.id}
            )
    return adjustment
