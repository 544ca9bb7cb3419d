"""Staff receive ASNs in admin, possibly in several receipts, with live data."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fulfillment.models import InboundShipment, StockMovement
from fulfillment.services.inbound import InboundLineInput, inbound_create
from tests.fulfillment.advanced_support import assert_ledger_matches_stock, make_product, numbers


@pytest.fixture
def asn(tenant, reference_data):
    make_product(tenant, "live", "WIDGET-BLUE-M")
    make_product(tenant, "live", "WIDGET-RED-S")
    inbound, _ = inbound_create(
        tenant=tenant,
        environment="live",
        reference="ASN-5567",
        warehouse_id="wh_syd_1",
        items=[InboundLineInput("WIDGET-BLUE-M", 500), InboundLineInput("WIDGET-RED-S", 300)],
    )
    return inbound


def receive_url(inbound):
    return reverse("admin:fulfillment_inboundshipment_receive", args=[inbound.pk])


def quantities(inbound, blue, red, **extra):
    items = {i.sku: i.pk for i in inbound.items.all()}
    return {f"qty_{items['WIDGET-BLUE-M']}": blue, f"qty_{items['WIDGET-RED-S']}": red, **extra}


def test_admin_pages_render(admin_client, asn):
    assert admin_client.get(reverse("admin:fulfillment_inboundshipment_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:fulfillment_inboundshipment_change", args=[asn.pk]))
    assert page.status_code == 200
    assert receive_url(asn) in page.content.decode()
    form = admin_client.get(receive_url(asn))
    assert form.status_code == 200
    assert 'value="500"' in form.content.decode()


def test_staff_receive_in_two_receipts_then_final_closes_with_discrepancy(admin_client, tenant, asn):
    first = admin_client.post(receive_url(asn), quantities(asn, 300, 0))
    assert first.status_code == 302
    asn.refresh_from_db()
    assert asn.status == "partially_received"
    assert numbers(tenant, "live", "WIDGET-BLUE-M") == {
        "on_hand": 300,
        "allocated": 0,
        "incoming": 200,
        "backordered": 0,
    }

    second = admin_client.post(receive_url(asn), quantities(asn, 198, 300, final="on"))
    assert second.status_code == 302
    asn.refresh_from_db()
    assert asn.status == "received"
    assert [(i.sku, i.received_quantity, i.discrepancy) for i in asn.items.all()] == [
        ("WIDGET-BLUE-M", 498, -2),
        ("WIDGET-RED-S", 300, 0),
    ]
    assert numbers(tenant, "live", "WIDGET-BLUE-M") == {"on_hand": 498, "allocated": 0, "incoming": 0, "backordered": 0}
    assert asn.receipts.filter(final=True).count() == 1
    assert StockMovement.objects.filter(source_id=asn.public_id, actor="staff:admin").exists()
    assert_ledger_matches_stock(tenant, "live")


def test_staff_empty_non_final_receipt_shows_the_refusal_and_writes_nothing(admin_client, tenant, asn):
    movements = StockMovement.objects.count()

    response = admin_client.post(receive_url(asn), quantities(asn, 0, 0))

    assert response.status_code == 200
    assert "must receive at least one unit" in response.content.decode()
    assert StockMovement.objects.count() == movements
    assert InboundShipment.objects.get(pk=asn.pk).status == "expected"


def test_cancel_action_releases_incoming(admin_client, tenant, asn):
    response = admin_client.post(
        reverse("admin:fulfillment_inboundshipment_changelist"),
        {"action": "cancel_selected", "_selected_action": [asn.pk]},
    )

    assert response.status_code == 302
    asn.refresh_from_db()
    assert asn.status == "cancelled"
    assert numbers(tenant, "live", "WIDGET-BLUE-M")["incoming"] == 0
    assert_ledger_matches_stock(tenant, "live")


def test_change_page_does_not_accept_edits(admin_client, asn):
    response = admin_client.post(
        reverse("admin:fulfillment_inboundshipment_change", args=[asn.pk]), {"reference": "HACKED"}
    )

    assert response.status_code == 403
    assert InboundShipment.objects.get(pk=asn.pk).reference == "ASN-5567"
