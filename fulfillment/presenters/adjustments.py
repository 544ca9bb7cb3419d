"""The inventory adjustment object of blueprint §5b. Used by GET /v1/inventory-adjustments and `inventory.adjusted`.

Callers select `warehouse`.
"""

from __future__ import annotations

from config.api.renderers import format_datetime


def adjustment_data(adjustment) -> dict:
    return {
        "id": adjustment.public_id,
        "sku": adjustment.sku,
        "warehouse_id": adjustment.warehouse.public_id,
        "quantity_delta": adjustment.quantity_delta,
        "reason": adjustment.reason,
        "note": adjustment.note or None,
        "adjusted_at": format_datetime(adjustment.adjusted_at),
    }
