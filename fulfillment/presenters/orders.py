"""The order object of blueprint §1, as GET /v1/orders/{id}, the create/amend/cancel answers and webhooks show it.

Callers load orders with `ORDER_SELECT` and `order_prefetch()` (see
fulfillment/selectors/orders.py) so a page of orders costs a fixed number of queries.
"""

from __future__ import annotations

from django.db.models import Prefetch

from config.api.fields import DecimalStringField
from config.api.renderers import format_datetime
from fulfillment.presenters.shipments import SHIPMENT_PREFETCH, SHIPMENT_SELECT, shipment_data

ORDER_SELECT = ("warehouse", "shipping_method")


def order_prefetch() -> tuple:
    """Prefetches for `order_data`: lines, and shipments with everything `shipment_data` reads."""
    from fulfillment.models import Shipment

    shipments = Shipment.objects.select_related(*SHIPMENT_SELECT).prefetch_related(*SHIPMENT_PREFETCH).order_by("id")
    return ("lines", Prefetch("shipments", queryset=shipments))


def order_line_data(line) -> dict:
    return {
        "sku": line.sku,
        "description": line.description,
        "quantity": line.quantity,
        "unit_price": DecimalStringField().to_representation(line.unit_price),
        "currency": line.currency or None,
        "quantity_allocated": line.quantity_allocated,
        "quantity_backordered": line.quantity_backordered,
        "quantity_shipped": line.quantity_shipped,
    }


def ship_to_data(order) -> dict:
    return {
        "name": order.ship_to_name,
        "company": order.ship_to_company,
        "email": order.ship_to_email,
        "phone": order.ship_to_phone,
        "address1": order.ship_to_address1,
        "address2": order.ship_to_address2,
        "city": order.ship_to_city,
        "state": order.ship_to_state,
        "postcode": order.ship_to_postcode,
        "country": order.ship_to_country,
    }


def order_data(order) -> dict:
    """The full order. `version` is a string, as in the blueprint ("4"); the ETag carries the same value."""
    method = order.shipping_method
    return {
        "id": order.public_id,
        "order_number": order.order_number,
        "reference": order.reference,
        "status": order.status,
        "version": str(order.version),
        "order_date": format_datetime(order.order_date),
        "warehouse_id": order.warehouse.public_id,
        "shipping_method_id": method.public_id if method else None,
        "shipping_method": method.name if method else None,
        "signature_required": order.signature_required,
        "insurance": order.insurance,
        "gift_message": order.gift_message,
        "packing_note": order.packing_note,
        "ship_to": ship_to_data(order),
        "items": [order_line_data(line) for line in order.lines.all()],
        "created_at": format_datetime(order.created_at),
        "updated_at": format_datetime(order.updated_at),
        "cancelled_at": format_datetime(order.cancelled_at),
        "shipments": [shipment_data(s) for s in order.shipments.all()],
    }


def order_etag(order) -> str:
    return f'"{order.version}"'
