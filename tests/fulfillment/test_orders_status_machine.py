"""The order status machine and backorder allocation (services called by other areas)."""

from __future__ import annotations

import pytest
from django.db import transaction

from config.api.errors import Conflict
from fulfillment.models import Order, OrderHistory, Product, StockMovement, Warehouse
from fulfillment.services.orders import (
    ORDER_TRANSITIONS,
    backorders_allocate,
    order_cancel,
    order_hold,
    order_release_hold,
    order_start_picking,
    order_transition,
)
from fulfillment.services.stock import StockDelta, stock_apply
from tests.fulfillment.orders_support import cell_numbers, order_body, stock_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked(tenant, reference_data):
    stock_set(tenant, "sandbox", "WIDGET-RED-S", "wh_syd_1", 3)
    return tenant


def _order(sandbox, reference, quantity):
    body = order_body(reference=reference, items=[{"sku": "WIDGET-RED-S", "quantity": quantity}])
    return Order.objects.get(public_id=sandbox.post("/v1/orders", body).json()["id"])


def _receive(tenant, quantity):
    product = Product.objects.get(tenant=tenant, environment="sandbox", sku="WIDGET-RED-S")
    warehouse = Warehouse.objects.get(public_id="wh_syd_1")
    with transaction.atomic():
        stock_apply(
            tenant=tenant,
            environment="sandbox",
            deltas=[StockDelta(product_id=product.pk, warehouse_id=warehouse.pk, on_hand=quantity)],
            reason=StockMovement.Reason.RECEIPT,
        )
        return backorders_allocate(
            tenant=tenant, environment="sandbox", warehouse_id=warehouse.pk, product_ids=[product.pk]
        )


def test_every_status_of_the_vocabulary_is_in_the_machine():
    assert set(ORDER_TRANSITIONS) == {
        "received",
        "processing",
        "partially_shipped",
        "shipped",
        "on_hold",
        "backordered",
        "cancelled",
    }
    assert ORDER_TRANSITIONS["shipped"] == frozenset({"partially_shipped", "processing"})  # label voided
    assert ORDER_TRANSITIONS["cancelled"] == frozenset()


def test_arriving_stock_allocates_backorders_oldest_first(sandbox, stocked):
    first = _order(sandbox, "R-1", 2)
    second = _order(sandbox, "R-2", 3)
    third = _order(sandbox, "R-3", 2)
    assert [o.status for o in (first, second, third)] == ["received", "backordered", "backordered"]
    assert cell_numbers(stocked, "sandbox", "WIDGET-RED-S") == (3, 3, 4)

    changed = _receive(stocked, 3)
    assert [o.public_id for o in changed] == [second.public_id, third.public_id]
    second.refresh_from_db()
    third.refresh_from_db()
    assert (second.status, second.version) == ("received", 2)
    assert (third.status, third.version) == ("backordered", 2)
    assert third.lines.get().quantity_allocated == 1
    assert third.lines.get().quantity_backordered == 1
    assert cell_numbers(stocked, "sandbox", "WIDGET-RED-S") == (6, 6, 1)
    history = OrderHistory.objects.filter(order=second, kind="allocated").get()
    assert (history.from_status, history.to_status) == ("backordered", "received")

    _receive(stocked, 5)
    third.refresh_from_db()
    assert third.status == "received"
    assert cell_numbers(stocked, "sandbox", "WIDGET-RED-S") == (11, 7, 0)


def test_backorder_of_held_order_is_allocated_and_released_as_received(sandbox, stocked):
    _order(sandbox, "R-1", 3)
    waiting = _order(sandbox, "R-2", 1)
    order_hold(order=waiting, actor_label="staff:test")
    _receive(stocked, 1)
    waiting.refresh_from_db()
    assert (waiting.status, waiting.status_before_hold) == ("on_hold", "received")
    released = order_release_hold(order=waiting, actor_label="staff:test")
    assert released.status == "received"


def test_shipping_transitions_from_received_and_processing(sandbox, stocked):
    a = _order(sandbox, "R-1", 1)
    a = order_transition(order=a, to_status="partially_shipped", actor_label="shipments")
    a = order_transition(order=a, to_status="shipped", actor_label="shipments")
    assert (a.status, a.version) == ("shipped", 3)
    b = _order(sandbox, "R-2", 1)
    b = order_start_picking(order=b, actor_label="staff:test")
    b = order_transition(order=b, to_status="shipped", actor_label="shipments")
    assert b.status == "shipped"


@pytest.mark.parametrize(
    ("setup", "to_status"),
    [
        ("shipped", "received"),
        ("shipped", "cancelled"),
        ("cancelled", "received"),
        ("cancelled", "processing"),
        ("processing", "received"),
        ("partially_shipped", "received"),
        ("shipped", "on_hold"),
    ],
)
def test_invalid_transitions_are_refused_and_change_nothing(sandbox, stocked, setup, to_status):
    order = _order(sandbox, "R-1", 1)
    if setup == "cancelled":
        order = order_cancel(order=order, actor_label="t")
    else:
        if setup == "processing":
            order = order_start_picking(order=order, actor_label="t")
        else:
            order = order_transition(order=order, to_status=setup, actor_label="t")
    version = order.version
    with pytest.raises(Conflict) as excinfo:
        order_transition(order=order, to_status=to_status, actor_label="t")
    assert excinfo.value.code in ("invalid_status_transition", "already_shipped", "too_late_to_cancel")
    order.refresh_from_db()
    assert (order.status, order.version) == (setup, version)


def test_hold_from_processing_cannot_be_cancelled(sandbox, stocked):
    order = order_start_picking(order=_order(sandbox, "R-1", 1), actor_label="t")
    order = order_hold(order=order, actor_label="t")
    with pytest.raises(Conflict) as excinfo:
        order_cancel(order=order, actor_label="t")
    assert excinfo.value.code == "too_late_to_cancel"
    assert order_release_hold(order=order, actor_label="t").status == "processing"
