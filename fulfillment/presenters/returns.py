"""The return object of blueprint §5c. Used by GET /v1/returns and the `return.received` event.

Callers select `warehouse` and `order` and prefetch `items`.
`quantity` is what came back once the return is received; before that it is
the authorised quantity. `expected_quantity` (additive) is always the
authorised quantity (0 for lines the RMA did not announce).
"""

from __future__ import annotations

from config.api.renderers import format_datetime
from fulfillment.models import ReturnStatus


def return_item_data(item, *, status: str) -> dict:
    received = status != ReturnStatus.EXPECTED
    return {
        "sku": item.sku,
        "quantity": item.quantity_received if received else item.quantity_expected,
        "condition": item.condition or None,
        "restocked": item.restocked,
        "expected_quantity": item.quantity_expected,
    }


def return_data(ret) -> dict:
    return {
        "id": ret.public_id,
        "order_id": ret.order.public_id if ret.order_id else None,
        "order_number": ret.order_number or None,
        "rma": ret.rma,
        "status": ret.status,
        "version": ret.version,
        "received_at": format_datetime(ret.received_at) if ret.received_at else None,
        "processed_at": format_datetime(ret.processed_at) if ret.processed_at else None,
        "warehouse_id": ret.warehouse.public_id,
        "created_at": format_datetime(ret.created_at),
        "updated_at": format_datetime(ret.updated_at),
        "items": [return_item_data(item, status=ret.status) for item in ret.items.all()],
    }
