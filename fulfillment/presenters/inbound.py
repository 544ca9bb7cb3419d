"""The inbound shipment (ASN) object of blueprint §5a. Used by GET /v1/inbound-shipments and `inbound.received`.

Callers select `warehouse` and prefetch `items`, so a page costs a fixed number of queries.
"""

from __future__ import annotations

from config.api.renderers import format_datetime
from fulfillment.models import InboundStatus


def inbound_item_data(item, *, status: str) -> dict:
    # A discrepancy only means something once goods have been counted in.
    counted = status in (InboundStatus.PARTIALLY_RECEIVED, InboundStatus.RECEIVED)
    return {
        "sku": item.sku,
        "expected_quantity": item.expected_quantity,
        "received_quantity": item.received_quantity,
        "discrepancy": item.discrepancy if counted else None,
    }


def inbound_data(inbound) -> dict:
    return {
        "id": inbound.public_id,
        "reference": inbound.reference,
        "status": inbound.status,
        "version": inbound.version,
        "received_at": format_datetime(inbound.received_at) if inbound.received_at else None,
        "warehouse_id": inbound.warehouse.public_id,
        "expected_at": inbound.expected_at.isoformat() if inbound.expected_at else None,
        "supplier": inbound.supplier or None,
        "created_at": format_datetime(inbound.created_at),
        "updated_at": format_datetime(inbound.updated_at),
        "items": [inbound_item_data(item, status=inbound.status) for item in inbound.items.all()],
    }
