"""inventory.updated: emitted by stock_apply once per touched product, with the §3 object, in one query batch."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from fulfillment.models import StockMovement, Warehouse
from fulfillment.services.stock import StockDelta, stock_apply
from tests.fulfillment.shipments_support import EventRecorder, make_product, set_stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(monkeypatch):
    recorder = EventRecorder()
    monkeypatch.setattr("webhooks.services.event_emit", recorder)
    return recorder


def _apply(tenant, skus, on_hand=1):
    syd = Warehouse.objects.get(public_id="wh_syd_1")
    mel = Warehouse.objects.get(public_id="wh_mel_1")
    products = [make_product(tenant, "sandbox", sku) for sku in skus]
    with CaptureQueriesContext(connection) as ctx, transaction.atomic():
        stock_apply(
            tenant=tenant,
            environment="sandbox",
            deltas=[
                StockDelta(product_id=p.pk, warehouse_id=w.pk, on_hand=on_hand) for p in products for w in (syd, mel)
            ],
            reason=StockMovement.Reason.ADJUSTMENT,
        )
    return len(ctx.captured_queries)


def test_one_event_per_touched_product_with_the_inventory_object(tenant, reference_data, events):
    set_stock(tenant, "sandbox", "A", 5, "wh_mel_1")
    events.events.clear()

    _apply(tenant, ["A", "B"], on_hand=2)

    payloads = {d["sku"]: d for d in events.of("inventory.updated")}
    assert len(events.of("inventory.updated")) == 2
    assert payloads["A"]["warehouses"] == [
        {"warehouse_id": "wh_mel_1", "on_hand": 7, "available": 7, "allocated": 0, "incoming": 0, "backordered": 0},
        {"warehouse_id": "wh_syd_1", "on_hand": 2, "available": 2, "allocated": 0, "incoming": 0, "backordered": 0},
    ]
    assert [w["on_hand"] for w in payloads["B"]["warehouses"]] == [2, 2]


def test_emitting_costs_the_same_queries_for_1_and_20_products(tenant, reference_data, events):
    _apply(tenant, ["WARM"])  # creates cells and records once
    _apply(tenant, ["X-0"])
    one = _apply(tenant, ["X-0"])
    for i in range(20):
        _apply(tenant, [f"Y-{i}"])
    twenty = _apply(tenant, [f"Y-{i}" for i in range(20)])

    assert one == twenty
    assert len(events.of("inventory.updated")) == 1 + 1 + 1 + 20 + 20
