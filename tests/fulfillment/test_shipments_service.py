"""Shipment services: ship (whole, partial, several parcels), refusals, carrier status updates, voids, events."""

from __future__ import annotations

from decimal import Decimal

import pytest

from config.api.errors import Conflict, ValidationFailed
from fulfillment.models import (
    Carrier,
    Order,
    OrderLine,
    OrderStatus,
    Parcel,
    Shipment,
    ShipmentItem,
    StockMovement,
)
from fulfillment.presenters.shipments import shipment_data
from fulfillment.services import orders as order_services
from fulfillment.services import shipments as svc
from fulfillment.services.shipments import ParcelSpec, ShipItemSpec
from tests.fulfillment.shipments_support import (
    EventRecorder,
    cell,
    feed_without_watermark,  # noqa: F401 - a fixture
    make_order,
    set_stock,
)

pytestmark = pytest.mark.django_db

# On PostgreSQL change_seq is the writer's transaction id, so a test that watches a row move
# in a feed needs real commits (and see feed_without_watermark).
FEED = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("feed_without_watermark")]

ENV = "sandbox"


@pytest.fixture
def events(monkeypatch):
    recorder = EventRecorder()
    monkeypatch.setattr(svc, "event_emit", recorder)
    monkeypatch.setattr("webhooks.services.event_emit", recorder)
    return recorder


@pytest.fixture
def auspost(reference_data):
    return Carrier.objects.get(code="auspost")


def parcels(carrier, *numbers, service="Express Post"):
    return [ParcelSpec(tracking_number=n, carrier=carrier, service=service) for n in numbers]


def ship(tenant, order, carrier, numbers=("AP0000000001AU",), items=None, **kwargs):
    return svc.shipment_create(
        tenant=tenant,
        environment=order.environment,
        order_id=order.pk,
        parcels=parcels(carrier, *numbers),
        items=items,
        actor_label="test",
        **kwargs,
    )


def lines_of(order):
    return {
        line.sku: (line.quantity_allocated, line.quantity_shipped) for line in OrderLine.objects.filter(order=order)
    }


def test_ship_whole_order_in_two_parcels_moves_stock_lines_and_status(tenant, auspost, events):
    set_stock(tenant, ENV, "BLUE", 10)
    set_stock(tenant, ENV, "RED", 5)
    order = make_order(tenant, ENV, [("BLUE", 2), ("RED", 3)])

    shipment = ship(
        tenant,
        order,
        auspost,
        numbers=("AP0000000001AU", "AP0000000002AU"),
        cost_amount=Decimal("12.40"),
        cost_currency="AUD",
    )

    data = shipment_data(shipment)
    assert data["status"] == "shipped"
    assert data["voided"] is False
    assert data["cost"] == {"amount": "12.40", "currency": "AUD"}
    assert [p["tracking_number"] for p in data["parcels"]] == ["AP0000000001AU", "AP0000000002AU"]
    assert data["parcels"][0]["tracking_url"] == "https://auspost.com.au/track/AP0000000001AU"
    assert data["items"] == [{"sku": "BLUE", "quantity": 2}, {"sku": "RED", "quantity": 3}]
    assert cell(tenant, ENV, "BLUE") == {"on_hand": 8, "allocated": 0, "backordered": 0}
    assert cell(tenant, ENV, "RED") == {"on_hand": 2, "allocated": 0, "backordered": 0}
    assert lines_of(order) == {"BLUE": (0, 2), "RED": (0, 3)}
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED
    ledger = StockMovement.objects.filter(reason=StockMovement.Reason.SHIPMENT, source_id=shipment.public_id)
    assert sorted((m.delta_on_hand, m.delta_allocated) for m in ledger) == [(-3, -3), (-2, -2)]
    assert events.of("shipment.created") == [data]
    inventory_events = {d["sku"]: d for d in events.of("inventory.updated")}
    assert inventory_events["BLUE"]["warehouses"] == [
        {"warehouse_id": "wh_syd_1", "on_hand": 8, "available": 8, "allocated": 0, "incoming": 0, "backordered": 0}
    ]


def test_partial_shipment_then_rest_moves_order_partially_shipped_then_shipped(tenant, auspost, events):
    set_stock(tenant, ENV, "BLUE", 10)
    order = make_order(tenant, ENV, [("BLUE", 4)])

    ship(tenant, order, auspost, numbers=("AP1",), items=[ShipItemSpec("BLUE", 1)])
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PARTIALLY_SHIPPED
    assert lines_of(order) == {"BLUE": (3, 1)}

    ship(tenant, order, auspost, numbers=("AP2",), items=[ShipItemSpec("BLUE", 2)])
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PARTIALLY_SHIPPED

    ship(tenant, order, auspost, numbers=("AP3",))  # the rest
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED
    assert lines_of(order) == {"BLUE": (0, 4)}
    assert cell(tenant, ENV, "BLUE") == {"on_hand": 6, "allocated": 0, "backordered": 0}
    assert Shipment.objects.filter(order=order).count() == 3


def _snapshot(tenant, order):
    return (
        Shipment.objects.count(),
        Parcel.objects.count(),
        ShipmentItem.objects.count(),
        StockMovement.objects.count(),
        lines_of(order),
        Order.objects.get(pk=order.pk).status,
        cell(tenant, ENV, "BLUE"),
    )


def test_more_than_ordered_is_409_and_changes_nothing(tenant, auspost, events):
    set_stock(tenant, ENV, "BLUE", 10)
    order = make_order(tenant, ENV, [("BLUE", 2)])
    before = _snapshot(tenant, order)
    events.events.clear()

    with pytest.raises(Conflict) as exc:
        ship(tenant, order, auspost, items=[ShipItemSpec("BLUE", 3)])

    assert exc.value.code == "exceeds_ordered_quantity"
    assert exc.value.field == "items[0].quantity"
    assert _snapshot(tenant, order) == before
    assert events.events == []


def test_more_than_allocated_is_409_not_allocated(tenant, auspost):
    set_stock(tenant, ENV, "BLUE", 1)
    order = make_order(tenant, ENV, [("BLUE", 3)])  # 1 allocated, 2 backordered
    before = _snapshot(tenant, order)

    with pytest.raises(Conflict) as exc:
        ship(tenant, order, auspost, items=[ShipItemSpec("BLUE", 2)])

    assert exc.value.code == "not_allocated"
    assert _snapshot(tenant, order) == before


def test_cancelled_order_cannot_ship(tenant, auspost, events):
    set_stock(tenant, ENV, "BLUE", 10)
    order = make_order(tenant, ENV, [("BLUE", 2)])
    order_services.order_cancel(order=order, actor_label="test")
    before = _snapshot(tenant, order)
    events.events.clear()

    with pytest.raises(Conflict) as exc:
        ship(tenant, order, auspost)

    assert exc.value.code == "order_cancelled"
    assert exc.value.extra == {"order_status": "cancelled"}
    assert _snapshot(tenant, order) == before
    assert events.events == []


def test_fully_shipped_order_cannot_ship_again(tenant, auspost):
    set_stock(tenant, ENV, "BLUE", 10)
    order = make_order(tenant, ENV, [("BLUE", 2)])
    ship(tenant, order, auspost, numbers=("AP1",))

    with pytest.raises(Conflict) as exc:
        ship(tenant, order, auspost, numbers=("AP2",), items=[ShipItemSpec("BLUE", 1)])

    assert exc.value.code == "already_shipped"


def test_sku_not_on_order_is_422(tenant, auspost):
    set_stock(tenant, ENV, "BLUE", 10)
    order = make_order(tenant, ENV, [("BLUE", 2)])

    with pytest.raises(ValidationFailed) as exc:
        ship(tenant, order, auspost, items=[ShipItemSpec("BLUE", 1), ShipItemSpec("GREEN", 1)])

    assert (exc.value.code, exc.value.field) == ("sku_not_on_order", "items[1].sku")


def test_duplicate_tracking_number_is_refused(tenant, auspost):
    set_stock(tenant, ENV, "BLUE", 10)
    first = make_order(tenant, ENV, [("BLUE", 1)])
    second = make_order(tenant, ENV, [("BLUE", 1)])
    ship(tenant, first, auspost, numbers=("AP1",))

    with pytest.raises(Conflict) as exc:
        ship(tenant, second, auspost, numbers=("AP2", "AP1"))
    assert (exc.value.code, exc.value.field) == ("duplicate_tracking_number", "parcels[1].tracking_number")

    with pytest.raises(ValidationFailed) as exc:
        ship(tenant, second, auspost, numbers=("AP3", "AP3"))
    assert (exc.value.code, exc.value.field) == ("duplicate", "parcels[1].tracking_number")
    assert Shipment.objects.filter(order=second).count() == 0


def test_no_parcels_is_422(tenant, auspost):
    set_stock(tenant, ENV, "BLUE", 10)
    order = make_order(tenant, ENV, [("BLUE", 1)])

    with pytest.raises(ValidationFailed) as exc:
        ship(tenant, order, auspost, numbers=())

    assert (exc.value.code, exc.value.field) == ("missing_field", "parcels")


@FEED[0]
@FEED[1]
def test_void_flags_row_and_puts_units_back_to_allocated(tenant, auspost, events):
    set_stock(tenant, ENV, "BLUE", 10)
    order = make_order(tenant, ENV, [("BLUE", 4)])
    first = ship(tenant, order, auspost, numbers=("AP1",), items=[ShipItemSpec("BLUE", 1)])
    ship(tenant, order, auspost, numbers=("AP2",), items=[ShipItemSpec("BLUE", 2)])
    assert cell(tenant, ENV, "BLUE") == {"on_hand": 7, "allocated": 1, "backordered": 0}
    seq_before = Shipment.objects.get(pk=first.pk).change_seq
    events.events.clear()

    voided = svc.shipment_void(shipment_id=first.pk, actor_label="test")

    assert voided.voided is True
    assert voided.status == "voided"
    assert voided.voided_at is not None
    assert Shipment.objects.filter(pk=first.pk).exists()  # the row stays
    assert cell(tenant, ENV, "BLUE") == {"on_hand": 8, "allocated": 2, "backordered": 0}
    assert lines_of(order) == {"BLUE": (2, 2)}
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PARTIALLY_SHIPPED
    assert Shipment.objects.get(pk=first.pk).change_seq > seq_before
    ledger = StockMovement.objects.get(reason=StockMovement.Reason.VOID, source_id=first.public_id)
    assert (ledger.delta_on_hand, ledger.delta_allocated) == (1, 1)
    assert events.of("shipment.updated") == [shipment_data(svc.shipment_fresh(first.pk))]
    assert shipment_data(voided)["voided"] is True

    with pytest.raises(Conflict) as exc:
        svc.shipment_void(shipment_id=first.pk, actor_label="test")
    assert exc.value.code == "already_voided"
    assert cell(tenant, ENV, "BLUE") == {"on_hand": 8, "allocated": 2, "backordered": 0}


def test_voided_units_can_ship_again(tenant, auspost):
    set_stock(tenant, ENV, "BLUE", 10)
    order = make_order(tenant, ENV, [("BLUE", 2)])
    shipment = ship(tenant, order, auspost, numbers=("AP1",))
    svc.shipment_void(shipment_id=shipment.pk, actor_label="test")

    again = ship(tenant, order, auspost, numbers=("AP2",))

    assert shipment_data(again)["items"] == [{"sku": "BLUE", "quantity": 2}]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED
    assert cell(tenant, ENV, "BLUE") == {"on_hand": 8, "allocated": 0, "backordered": 0}


def test_delivered_shipment_cannot_be_voided(tenant, auspost):
    set_stock(tenant, ENV, "BLUE", 10)
    order = make_order(tenant, ENV, [("BLUE", 2)])
    shipment = ship(tenant, order, auspost)
    svc.shipment_mark_delivered(shipment_id=shipment.pk, actor_label="test")

    with pytest.raises(Conflict) as exc:
        svc.shipment_void(shipment_id=shipment.pk, actor_label="test")

    assert exc.value.code == "cannot_void"
    assert exc.value.extra == {"shipment_status": "delivered"}
    assert cell(tenant, ENV, "BLUE") == {"on_hand": 8, "allocated": 0, "backordered": 0}


@FEED[0]
@FEED[1]
def test_status_updates_follow_the_carrier_lifecycle(tenant, auspost, events):
    set_stock(tenant, ENV, "BLUE", 10)
    order = make_order(tenant, ENV, [("BLUE", 2)])
    shipment = ship(tenant, order, auspost)
    events.events.clear()

    for status in ("in_transit", "exception", "out_for_delivery", "delivered"):
        before = Shipment.objects.get(pk=shipment.pk).change_seq
        updated = svc.shipment_status_update(shipment_id=shipment.pk, to_status=status, actor_label="test")
        assert updated.status == status
        assert Shipment.objects.get(pk=shipment.pk).change_seq > before
    assert [d["status"] for d in events.of("shipment.updated")] == [
        "in_transit",
        "exception",
        "out_for_delivery",
        "delivered",
    ]
    # Each update carries a higher version, so a receiver can drop a stale one that arrives late.
    assert [d["version"] for d in events.of("shipment.updated")] == [2, 3, 4, 5]
    assert Shipment.objects.get(pk=shipment.pk).delivered_at is not None

    with pytest.raises(Conflict) as exc:
        svc.shipment_status_update(shipment_id=shipment.pk, to_status="in_transit", actor_label="test")
    assert exc.value.code == "invalid_shipment_transition"
    assert exc.value.extra == {"shipment_status": "delivered"}


@FEED[0]
@FEED[1]
def test_repeated_status_is_a_no_op(tenant, auspost, events):
    set_stock(tenant, ENV, "BLUE", 10)
    order = make_order(tenant, ENV, [("BLUE", 2)])
    shipment = ship(tenant, order, auspost)
    svc.shipment_status_update(shipment_id=shipment.pk, to_status="in_transit", actor_label="test")
    seq = Shipment.objects.get(pk=shipment.pk).change_seq
    events.events.clear()

    svc.shipment_status_update(shipment_id=shipment.pk, to_status="in_transit", actor_label="test")

    assert Shipment.objects.get(pk=shipment.pk).change_seq == seq
    assert events.events == []


def test_status_update_refuses_voided_and_unknown_status(tenant, auspost):
    set_stock(tenant, ENV, "BLUE", 10)
    order = make_order(tenant, ENV, [("BLUE", 2)])
    shipment = ship(tenant, order, auspost)

    with pytest.raises(ValidationFailed) as exc:
        svc.shipment_status_update(shipment_id=shipment.pk, to_status="voided", actor_label="test")
    assert (exc.value.code, exc.value.field) == ("invalid_choice", "status")
    assert Shipment.objects.get(pk=shipment.pk).status == "shipped"


@FEED[0]
@FEED[1]
def test_shipping_moves_the_order_in_its_feed(tenant, auspost):
    set_stock(tenant, ENV, "BLUE", 10)
    order = make_order(tenant, ENV, [("BLUE", 4)])
    ship(tenant, order, auspost, numbers=("AP1",), items=[ShipItemSpec("BLUE", 1)])
    seq = Order.objects.get(pk=order.pk).change_seq

    ship(tenant, order, auspost, numbers=("AP2",), items=[ShipItemSpec("BLUE", 1)])  # stays partially_shipped

    assert Order.objects.get(pk=order.pk).change_seq > seq
