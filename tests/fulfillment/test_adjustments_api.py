"""Inventory adjustments (blueprint §5b): the service guard, cycle counts, the feed and its filters, isolation."""

from __future__ import annotations

import pytest

from config.api.errors import ApiError
from fulfillment.models import InventoryAdjustment, Product, StockMovement, Warehouse
from fulfillment.services.adjustments import adjustment_record
from tests.fulfillment.advanced_support import (
    EventRecorder,
    add_stock,
    allocate,
    api_order,
    assert_ledger_matches_stock,
    make_product,
    numbers,
)


@pytest.fixture
def events(monkeypatch):
    recorder = EventRecorder()
    monkeypatch.setattr("webhooks.services.event_emit", recorder)
    return recorder


def record(tenant, environment="sandbox", sku="WIDGET-BLUE-M", warehouse="wh_syd_1", **kwargs):
    return adjustment_record(
        tenant=tenant,
        environment=environment,
        product=Product.objects.get(tenant=tenant, environment=environment, sku=sku),
        warehouse=Warehouse.objects.get(public_id=warehouse),
        actor="staff:alice",
        **kwargs,
    )


def test_negative_adjustment_lowers_on_hand_and_appears_in_the_feed(sandbox, tenant, events):
    add_stock(tenant, "sandbox", "WIDGET-BLUE-M", 50)

    adjustment = record(tenant, quantity_delta=-3, reason="damaged", note="Water damage, pallet 12")

    assert numbers(tenant, "sandbox", "WIDGET-BLUE-M")["on_hand"] == 47
    assert_ledger_matches_stock(tenant, "sandbox")
    body = sandbox.get("/v1/inventory-adjustments").json()
    assert body["data"] == [
        {
            "id": adjustment.public_id,
            "sku": "WIDGET-BLUE-M",
            "warehouse_id": "wh_syd_1",
            "quantity_delta": -3,
            "reason": "damaged",
            "note": "Water damage, pallet 12",
            "adjusted_at": body["data"][0]["adjusted_at"],
        }
    ]
    assert adjustment.public_id.startswith("adj_")
    assert body["data"][0]["adjusted_at"].endswith("Z")
    assert events.of("inventory.adjusted") == body["data"]
    assert sandbox.get(f"/v1/inventory-adjustments/{adjustment.public_id}").json() == body["data"][0]
    movement = StockMovement.objects.get(source_type="adjustment")
    assert (movement.reason, movement.delta_on_hand, movement.source_id) == ("adjustment", -3, adjustment.public_id)


def test_adjustment_that_would_make_on_hand_negative_is_refused_and_writes_nothing(sandbox, tenant, events):
    add_stock(tenant, "sandbox", "WIDGET-BLUE-M", 2)
    movements = StockMovement.objects.count()
    emitted = len(events.events)

    with pytest.raises(ApiError) as refused:
        record(tenant, quantity_delta=-3, reason="lost")

    assert refused.value.status_code == 409
    assert (refused.value.code, refused.value.field) == ("insufficient_stock", "quantity_delta")
    assert "negative" in refused.value.message
    assert numbers(tenant, "sandbox", "WIDGET-BLUE-M")["on_hand"] == 2
    assert InventoryAdjustment.objects.count() == 0
    assert StockMovement.objects.count() == movements
    assert len(events.events) == emitted


def test_adjustment_below_allocated_is_refused_with_a_clear_message(sandbox, tenant):
    add_stock(tenant, "sandbox", "WIDGET-BLUE-M", 10)
    allocate(tenant, "sandbox", "WIDGET-BLUE-M", 8)

    with pytest.raises(ApiError) as refused:
        record(tenant, quantity_delta=-3, reason="damaged")

    assert refused.value.code == "insufficient_stock"
    assert "allocated" in refused.value.message
    assert numbers(tenant, "sandbox", "WIDGET-BLUE-M") == {
        "on_hand": 10,
        "allocated": 8,
        "incoming": 0,
        "backordered": 0,
    }
    assert InventoryAdjustment.objects.count() == 0
    record(tenant, quantity_delta=-2, reason="damaged")
    assert numbers(tenant, "sandbox", "WIDGET-BLUE-M")["on_hand"] == 8


def test_cycle_count_entered_as_counted_becomes_the_delta(sandbox, tenant):
    add_stock(tenant, "sandbox", "WIDGET-BLUE-M", 40)

    adjustment = record(tenant, counted_quantity=37, reason="cycle_count", note="Aisle 4 count")

    assert (adjustment.quantity_delta, adjustment.counted_quantity) == (-3, 37)
    assert numbers(tenant, "sandbox", "WIDGET-BLUE-M")["on_hand"] == 37
    assert_ledger_matches_stock(tenant, "sandbox")


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"counted_quantity": 40, "reason": "cycle_count"}, "no_change", "counted_quantity"),
        ({"quantity_delta": 0, "reason": "found"}, "no_change", "quantity_delta"),
        ({"counted_quantity": 3, "reason": "damaged"}, "invalid_choice", "reason"),
        ({"quantity_delta": 1, "reason": "stolen"}, "invalid_choice", "reason"),
        ({"reason": "found"}, "missing_field", "quantity_delta"),
        ({"quantity_delta": 1, "counted_quantity": 3, "reason": "cycle_count"}, "missing_field", "quantity_delta"),
    ],
)
def test_bad_adjustments_are_refused_with_code_and_field(sandbox, tenant, kwargs, code, field):
    add_stock(tenant, "sandbox", "WIDGET-BLUE-M", 40)

    with pytest.raises(ApiError) as refused:
        record(tenant, **kwargs)

    assert (refused.value.status_code, refused.value.code, refused.value.field) == (422, code, field)
    assert InventoryAdjustment.objects.count() == 0
    assert numbers(tenant, "sandbox", "WIDGET-BLUE-M")["on_hand"] == 40


def test_found_stock_allocates_a_backordered_order(sandbox, tenant):
    make_product(tenant, "sandbox", "WIDGET-BLUE-M")
    order = api_order(sandbox, "ADJ-BO-1", [("WIDGET-BLUE-M", 2)])
    assert order["status"] == "backordered"

    record(tenant, quantity_delta=5, reason="found")

    assert sandbox.get(f"/v1/orders/{order['id']}").json()["status"] == "received"
    assert numbers(tenant, "sandbox", "WIDGET-BLUE-M") == {
        "on_hand": 5,
        "allocated": 2,
        "incoming": 0,
        "backordered": 0,
    }
    assert_ledger_matches_stock(tenant, "sandbox")


def test_feed_filters_by_sku_warehouse_and_reason(sandbox, tenant):
    add_stock(tenant, "sandbox", "WIDGET-BLUE-M", 10)
    add_stock(tenant, "sandbox", "WIDGET-RED-S", 10, warehouse="wh_mel_1")
    a = record(tenant, quantity_delta=-1, reason="damaged")
    b = record(tenant, sku="WIDGET-RED-S", warehouse="wh_mel_1", quantity_delta=2, reason="found")
    c = record(tenant, quantity_delta=-1, reason="expired")

    def ids(params):
        response = sandbox.get("/v1/inventory-adjustments", params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["data"]]

    assert ids({}) == [a.public_id, b.public_id, c.public_id]
    assert ids({"sku": "WIDGET-BLUE-M"}) == [a.public_id, c.public_id]
    assert ids({"warehouse_id": "wh_mel_1"}) == [b.public_id]
    assert ids({"reason": "expired"}) == [c.public_id]
    assert ids({"sku": "WIDGET-BLUE-M", "reason": "found"}) == []
    assert ids({"updated_since": "2999-01-01T00:00:00Z"}) == []
    page = sandbox.get("/v1/inventory-adjustments", {"limit": 2}).json()
    rest = sandbox.get("/v1/inventory-adjustments", {"cursor": page["pagination"]["next_cursor"]}).json()
    assert [r["id"] for r in page["data"] + rest["data"]] == [a.public_id, b.public_id, c.public_id]


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"reason": "stolen"}, "invalid_choice", "reason"),
        ({"warehouse_id": "wh_zzz"}, "invalid_warehouse", "warehouse_id"),
        ({"sku": "A<B"}, "invalid_characters", "sku"),
        ({"updated_since": "2026-07-02"}, "invalid_datetime", "updated_since"),
    ],
)
def test_bad_filters_are_422(sandbox, params, code, field):
    response = sandbox.get("/v1/inventory-adjustments", params)

    assert response.status_code == 422
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (code, field)


def test_isolation_anonymous_other_tenant_and_other_environment(sandbox, live, other_sandbox, anonymous, tenant):
    add_stock(tenant, "sandbox", "WIDGET-BLUE-M", 10)
    adjustment = record(tenant, quantity_delta=-1, reason="damaged")
    one = f"/v1/inventory-adjustments/{adjustment.public_id}"

    assert anonymous.get("/v1/inventory-adjustments").status_code == 401
    assert anonymous.get(one).status_code == 401
    for other in (other_sandbox, live):
        assert other.get(one).status_code == 404
        assert other.get("/v1/inventory-adjustments").json()["data"] == []
    assert sandbox.get(one).status_code == 200


def test_list_costs_the_same_number_of_queries_for_one_or_many_adjustments(sandbox, tenant):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    add_stock(tenant, "sandbox", "WIDGET-BLUE-M", 10)
    record(tenant, quantity_delta=-1, reason="damaged")
    sandbox.get("/v1/inventory-adjustments")
    with CaptureQueriesContext(connection) as one:
        assert len(sandbox.get("/v1/inventory-adjustments").json()["data"]) == 1
    for _ in range(4):
        record(tenant, quantity_delta=-1, reason="lost")
    with CaptureQueriesContext(connection) as many:
        assert len(sandbox.get("/v1/inventory-adjustments").json()["data"]) == 5

    assert len(many.captured_queries) == len(one.captured_queries)
