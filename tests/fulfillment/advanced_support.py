"""Helpers for the inbound, adjustment and return tests: products, stock, shipped orders, ledger checks."""

from __future__ import annotations

import itertools

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from fulfillment.models import (
    Order,
    OrderLine,
    Shipment,
    ShipmentItem,
    ShippingMethod,
    StockLevel,
    StockMovement,
    Warehouse,
)
from fulfillment.services.stock import StockDelta, stock_apply
from tests.factories import make_product
from tests.factories import set_stock as add_stock

_numbers = itertools.count(1)


def allocate(tenant, environment: str, sku: str, quantity: int, warehouse: str = "wh_syd_1") -> None:
    """Allocate units of a SKU as an order would (no order row), to test guards against allocated stock."""
    product = make_product(tenant, environment, sku)
    wh = Warehouse.objects.get(public_id=warehouse)
    with transaction.atomic():
        stock_apply(
            tenant=tenant,
            environment=environment,
            deltas=[StockDelta(product_id=product.pk, warehouse_id=wh.pk, allocated=quantity)],
            reason=StockMovement.Reason.ALLOCATION,
        )


def shipped_order(
    tenant, environment: str, lines: list[tuple[str, int]], *, warehouse: str = "wh_syd_1", order_number=None
) -> Order:
    """An order whose lines were all allocated from (fresh) stock and shipped in one shipment."""
    n = next(_numbers)
    wh = Warehouse.objects.get(public_id=warehouse)
    for sku, quantity in lines:
        add_stock(tenant, environment, sku, quantity, warehouse)
    with transaction.atomic():
        order = Order.objects.create(
            tenant=tenant,
            environment=environment,
            order_number=order_number or f"SO-R{n:05d}",
            reference=f"R-{n:05d}-{environment}-{tenant.slug}",
            warehouse=wh,
            shipping_method=ShippingMethod.objects.get(public_id="sm_auspost_express"),
            status="shipped",
            ship_to_name="Jane Doe",
            ship_to_address1="1 Main St",
            ship_to_city="Sydney",
            ship_to_postcode="2000",
            ship_to_country="AU",
        )
        shipment = Shipment.objects.create(
            tenant=tenant, environment=environment, order=order, warehouse=wh, shipped_at=timezone.now()
        )
        deltas = []
        for number, (sku, quantity) in enumerate(lines, start=1):
            product = make_product(tenant, environment, sku)
            line = OrderLine.objects.create(
                order=order, line_number=number, product=product, sku=sku, quantity=quantity, quantity_shipped=quantity
            )
            ShipmentItem.objects.create(shipment=shipment, order_line=line, sku=sku, quantity=quantity)
            deltas.append(StockDelta(product_id=product.pk, warehouse_id=wh.pk, on_hand=-quantity))
        stock_apply(
            tenant=tenant,
            environment=environment,
            deltas=deltas,
            reason=StockMovement.Reason.SHIPMENT,
            source_type="shipment",
            source_id=shipment.public_id,
        )
    return order


def numbers(tenant, environment: str, sku: str, warehouse: str = "wh_syd_1") -> dict:
    """The stock numbers of one cell, fresh from the database (zeros if the cell does not exist)."""
    level = StockLevel.objects.filter(
        tenant=tenant, environment=environment, product__sku=sku, warehouse__public_id=warehouse
    ).first()
    if level is None:
        return {"on_hand": 0, "allocated": 0, "incoming": 0, "backordered": 0}
    return {
        "on_hand": level.on_hand,
        "allocated": level.allocated,
        "incoming": level.incoming,
        "backordered": level.backordered,
    }


def assert_ledger_matches_stock(tenant, environment: str) -> None:
    """Every stock cell equals the sum of its ledger rows (the ledger explains every number)."""
    levels = list(StockLevel.objects.filter(tenant=tenant, environment=environment))
    assert levels, "expected at least one stock cell"
    for level in levels:
        sums = StockMovement.objects.filter(
            tenant=tenant, environment=environment, product_id=level.product_id, warehouse_id=level.warehouse_id
        ).aggregate(
            on_hand=Sum("delta_on_hand"),
            allocated=Sum("delta_allocated"),
            incoming=Sum("delta_incoming"),
            backordered=Sum("delta_backordered"),
        )
        assert {k: v or 0 for k, v in sums.items()} == {
            "on_hand": level.on_hand,
            "allocated": level.allocated,
            "incoming": level.incoming,
            "backordered": level.backordered,
        }, f"ledger and stock disagree for product {level.product_id} at warehouse {level.warehouse_id}"


class EventRecorder:
    """Collects event_emit calls (monkeypatched onto webhooks.services) so tests can assert what was emitted."""

    def __init__(self):
        self.events: list[tuple[str, dict]] = []

    def __call__(self, *, tenant, environment, event_type, data):
        self.events.append((event_type, data))

    def of(self, event_type: str) -> list[dict]:
        return [data for kind, data in self.events if kind == event_type]


def order_body(reference: str, items: list[tuple[str, int]], warehouse: str = "wh_syd_1") -> dict:
    """A POST /v1/orders body (blueprint §1)."""
    return {
        "order_number": f"SO-{reference}",
        "reference": reference,
        "warehouse_id": warehouse,
        "shipping_method_id": "sm_auspost_express",
        "ship_to": {"name": "Jane Doe", "address1": "1 Main St", "city": "Sydney", "postcode": "2000", "country": "AU"},
        "items": [{"sku": sku, "quantity": quantity} for sku, quantity in items],
    }


def api_order(api, reference: str, items: list[tuple[str, int]], warehouse: str = "wh_syd_1") -> dict:
    """Create an order through the API (allocating or backordering like production)."""
    response = api.post("/v1/orders", order_body(reference, items, warehouse))
    assert response.status_code == 201, response.json()
    return response.json()
