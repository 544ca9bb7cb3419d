"""Staff warehouse operations in admin: ship (parcels, partial items), carrier status, void, mark delivered, search."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fulfillment.models import Carrier, Order, OrderStatus, Shipment
from fulfillment.services import shipments as svc
from fulfillment.services.shipments import ParcelSpec
from tests.fulfillment.shipments_support import cell, make_order, set_stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_order(tenant, reference_data):
    set_stock(tenant, "live", "A", 10)
    set_stock(tenant, "live", "B", 10)
    return make_order(tenant, "live", [("A", 3), ("B", 1)], order_number="SO-7001")


def ship_form(order, carrier, *, quantities, tracking, cost="9.95"):
    lines = list(order.lines.order_by("line_number"))
    data = {
        "carrier": str(carrier.pk),
        "service": "Express Post",
        "cost_amount": cost,
        "cost_currency": "AUD",
        "parcels-TOTAL_FORMS": "3",
        "parcels-INITIAL_FORMS": "0",
        "parcels-MIN_NUM_FORMS": "0",
        "parcels-MAX_NUM_FORMS": "50",
    }
    for line, quantity in zip(lines, quantities, strict=True):
        data[f"items-line_{line.pk}"] = str(quantity)
    for index, number in enumerate(tracking):
        data[f"parcels-{index}-tracking_number"] = number
        data[f"parcels-{index}-weight_kg"] = "1.5"
    return data


def test_add_page_finds_the_order_by_number_and_opens_the_ship_form(admin_client, live_order):
    assert admin_client.get(reverse("admin:fulfillment_shipment_add")).status_code == 200

    response = admin_client.post(reverse("admin:fulfillment_shipment_add"), {"order": "SO-7001"})

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:fulfillment_shipment_ship", args=[live_order.public_id])
    page = admin_client.get(response["Location"])
    assert page.status_code == 200
    assert b"SO-7001" in page.content


def test_staff_ship_a_partial_shipment_in_two_parcels(admin_client, live_order, tenant):
    carrier = Carrier.objects.get(code="auspost")
    url = reverse("admin:fulfillment_shipment_ship", args=[live_order.public_id])

    response = admin_client.post(url, ship_form(live_order, carrier, quantities=[2, 0], tracking=["LV1AU", "LV2AU"]))

    assert response.status_code == 302
    shipment = Shipment.objects.get(order=live_order)
    assert [p.tracking_number for p in shipment.parcels.all()] == ["LV1AU", "LV2AU"]
    assert [(i.sku, i.quantity) for i in shipment.items.all()] == [("A", 2)]
    assert str(shipment.cost_amount) == "9.95"
    assert Order.objects.get(pk=live_order.pk).status == OrderStatus.PARTIALLY_SHIPPED
    assert cell(tenant, "live", "A") == {"on_hand": 8, "allocated": 1, "backordered": 0}


def test_staff_cannot_ship_more_than_ordered(admin_client, live_order, tenant):
    carrier = Carrier.objects.get(code="auspost")
    url = reverse("admin:fulfillment_shipment_ship", args=[live_order.public_id])

    response = admin_client.post(url, ship_form(live_order, carrier, quantities=[4, 0], tracking=["LV1AU"]))

    assert response.status_code == 200
    assert Shipment.objects.count() == 0
    assert cell(tenant, "live", "A") == {"on_hand": 10, "allocated": 3, "backordered": 0}
    messages = [str(m) for m in response.context["messages"]]
    assert any("Not shipped" in m and "Only 3 of A remain" in m for m in messages)


def _shipment(order):
    carrier = Carrier.objects.get(code="auspost")
    return svc.shipment_create(
        tenant=order.tenant,
        environment=order.environment,
        order_id=order.pk,
        parcels=[ParcelSpec("TRK123456AU", carrier, "Express Post")],
        actor_label="test",
    )


def test_actions_update_carrier_status_and_mark_delivered(admin_client, live_order):
    shipment = _shipment(live_order)
    changelist = reverse("admin:fulfillment_shipment_changelist")

    admin_client.post(changelist, {"action": "mark_in_transit", "_selected_action": [shipment.pk]})
    assert Shipment.objects.get(pk=shipment.pk).status == "in_transit"

    admin_client.post(changelist, {"action": "mark_delivered", "_selected_action": [shipment.pk]})
    assert Shipment.objects.get(pk=shipment.pk).status == "delivered"


def test_void_action_flags_the_row_and_returns_units_to_allocated(admin_client, live_order, tenant):
    shipment = _shipment(live_order)
    assert cell(tenant, "live", "A") == {"on_hand": 7, "allocated": 0, "backordered": 0}

    admin_client.post(
        reverse("admin:fulfillment_shipment_changelist"), {"action": "void_label", "_selected_action": [shipment.pk]}
    )

    shipment.refresh_from_db()
    assert (shipment.voided, shipment.status) == (True, "voided")
    assert cell(tenant, "live", "A") == {"on_hand": 10, "allocated": 3, "backordered": 0}


def test_search_by_tracking_number_and_order_number(admin_client, live_order):
    shipment = _shipment(live_order)
    changelist = reverse("admin:fulfillment_shipment_changelist")

    by_tracking = admin_client.get(changelist, {"q": "TRK123456AU"})
    by_order = admin_client.get(changelist, {"q": "SO-7001"})
    nothing = admin_client.get(changelist, {"q": "NOPE"})

    assert shipment.public_id.encode() in by_tracking.content
    assert shipment.public_id.encode() in by_order.content
    assert shipment.public_id.encode() not in nothing.content
    detail = admin_client.get(reverse("admin:fulfillment_shipment_change", args=[shipment.pk]))
    assert detail.status_code == 200
    assert b"TRK123456AU" in detail.content
