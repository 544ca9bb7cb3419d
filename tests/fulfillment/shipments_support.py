"""Helpers for the shipments, inventory and sandbox tests: products, stock and allocated orders."""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction

from fulfillment.models import Order, OrderLine, ShippingMethod, StockMovement, Warehouse
from fulfillment.services.stock import StockDelta, stock_apply, stock_cells_lock
from tests.factories import make_product, set_stock  # noqa: F401 - re-exported for the tests

_numbers = itertools.count(1)


def make_order(
    tenant,
    environment: str,
    lines: list[tuple[str, int]],
    *,
    warehouse: str = "wh_syd_1",
    method: str | None = "sm_auspost_express",
    order_number: str | None = None,
) -> Order:
    """An order with lines, allocated from stock as far as stock goes (the rest backordered)."""
    n = next(_numbers)
    wh = Warehouse.objects.get(public_id=warehouse)
    with transaction.atomic():
        order = Order.objects.create(
            tenant=tenant,
            environment=environment,
            order_number=order_number or f"SO-{n:06d}",
            reference=f"F-{n:06d}-{environment}-{tenant.slug}",
            warehouse=wh,
            shipping_method=ShippingMethod.objects.get(public_id=method) if method else None,
            ship_to_name="Jane Doe",
            ship_to_address1="123 Main St",
            ship_to_city="Sydney",
            ship_to_state="NSW",
            ship_to_postcode="2000",
            ship_to_country="AU",
        )
        products = {sku: make_product(tenant, environment, sku) for sku, _ in lines}
        cells = stock_cells_lock(
            tenant=tenant, environment=environment, cells=[(p.pk, wh.pk) for p in products.values()]
        )
        deltas = []
        for number, (sku, quantity) in enumerate(lines, start=1):
            product = products[sku]
            cell = cells[(product.pk, wh.pk)]
            free = cell.on_hand - cell.allocated - sum(d.allocated for d in deltas if d.product_id == product.pk)
            allocated = max(0, min(quantity, free))
            OrderLine.objects.create(
                order=order,
                line_number=number,
                product=product,
                sku=sku,
                quantity=quantity,
                quantity_allocated=allocated,
                quantity_backordered=quantity - allocated,
            )
            deltas.append(
                StockDelta(
                    product_id=product.pk, warehouse_id=wh.pk, allocated=allocated, backordered=quantity - allocated
                )
            )
        stock_apply(
            tenant=tenant,
            environment=environment,
            deltas=deltas,
            reason=StockMovement.Reason.ALLOCATION,
            source_type="order",
            source_id=order.public_id,
            locked=cells,
        )
    return order


def cell(tenant, environment: str, sku: str, warehouse: str = "wh_syd_1") -> dict:
    """The stock numbers of one cell, fresh from the database."""
    from fulfillment.models import StockLevel

    level = StockLevel.objects.get(
        tenant=tenant, environment=environment, product__sku=sku, warehouse__public_id=warehouse
    )
    return {"on_hand": level.on_hand, "allocated": level.allocated, "backordered": level.backordered}


class EventRecorder:
    """Collects event_emit calls (monkeypatched in) so tests can assert what was emitted."""

    def __init__(self):
        self.events: list[tuple[str, dict]] = []

    def __call__(self, *, tenant, environment, event_type, data):
        self.events.append((event_type, data))

    def of(self, event_type: str) -> list[dict]:
        return [data for kind, data in self.events if kind == event_type]


@pytest.fixture
def feed_without_watermark(monkeypatch):
    """Feed tests on PostgreSQL: page without the in-flight-transaction watermark.

    The watermark (config/api/pagination.py) is cluster-wide: any open
    transaction in ANY database on the server — another session's test run or
    benchmark — holds it back, so committed rows would stay invisible for as
    long as that runs. These tests are about rows moving in the feed (their
    change position), which the watermark does not affect; the watermark itself
    is tested with the pagination mechanism.
    """
    monkeypatch.setattr("config.api.pagination.committed_changes", lambda queryset: queryset)
