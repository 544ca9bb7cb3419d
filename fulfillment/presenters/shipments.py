"""The shipment object of blueprint §2, field for field. Used by GET /v1/shipments and webhook payloads.

Callers must prefetch `parcels__carrier` and `items`, and select `order`, so a
page of shipments costs a fixed number of queries.
"""

from __future__ import annotations

from config.api.fields import money
from config.api.renderers import format_datetime


def _number(value) -> int | float:
    """A JSON number as the blueprint writes it: 30 rather than 30.0, 1.2 as 1.2."""
    return int(value) if value == value.to_integral_value() else float(value)


def parcel_data(parcel) -> dict:
    data = {
        "tracking_number": parcel.tracking_number,
        "tracking_url": parcel.carrier.tracking_url(parcel.tracking_number),
        "carrier": parcel.carrier.code,
        "service": parcel.service,
    }
    if parcel.weight_value is not None:
        data["weight"] = {"value": _number(parcel.weight_value), "unit": parcel.weight_unit}
    if parcel.length is not None and parcel.width is not None and parcel.height is not None:
        data["dimensions"] = {
            "length": _number(parcel.length),
            "width": _number(parcel.width),
            "height": _number(parcel.height),
            "unit": parcel.dimension_unit,
        }
    return data


def shipment_data(shipment) -> dict:
    return {
        "id": shipment.public_id,
        "order_id": shipment.order.public_id,
        "order_number": shipment.order.order_number,
        "status": shipment.status,
        "warehouse_id": shipment.warehouse.public_id,
        "shipped_at": format_datetime(shipment.shipped_at),
        "created_at": format_datetime(shipment.created_at),
        "updated_at": format_datetime(shipment.updated_at),
        "cost": money(shipment.cost_amount, shipment.cost_currency),
        "voided": shipment.voided,
        "version": shipment.version,
        "parcels": [parcel_data(p) for p in shipment.parcels.all()],
        "items": [{"sku": i.sku, "quantity": i.quantity} for i in shipment.items.all()],
    }


SHIPMENT_PREFETCH = ("parcels__carrier", "items")
SHIPMENT_SELECT = ("order", "warehouse")
