"""The SKU inventory object of blueprint §3: per-warehouse numbers. Used by GET /v1/inventory and webhooks.

Callers pass rows from `fulfillment.selectors.inventory`, which prefetch the
product and its stock cells with their warehouses, so a page costs a fixed
number of queries.
"""

from __future__ import annotations

from config.api.renderers import format_datetime


def stock_level_data(level) -> dict:
    return {
        "warehouse_id": level.warehouse.public_id,
        "on_hand": level.on_hand,
        "available": level.on_hand - level.allocated,
        "allocated": level.allocated,
        "incoming": level.incoming,
        "backordered": level.backordered,
    }


def inventory_data(record, *, levels=None) -> dict:
    """`record` is an InventoryRecord; `levels` (optional) overrides its prefetched stock cells (a warehouse filter)."""
    if levels is None:
        levels = record.product.stock_levels.all()
    return {
        "sku": record.product.sku,
        "updated_at": format_datetime(record.updated_at),
        "warehouses": [stock_level_data(level) for level in levels],
    }
