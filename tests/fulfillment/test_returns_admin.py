"""Staff receive returns in admin, with or without an RMA, and mark them processed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fulfillment.models import Return, Warehouse
from fulfillment.services.returns import ReturnLineInput, return_create
from tests.fulfillment.advanced_support import assert_ledger_matches_stock, numbers, shipped_order


@pytest.fixture
def order(tenant, reference_data):
    return shipped_order(tenant, "live", [("WIDGET-BLUE-M", 2), ("WIDGET-RED-S", 1)], order_number="SO-100423")


@pytest.fixture
def rma(tenant, order):
    ret, _ = return_create(
        tenant=tenant,
        environment="live",
        rma="RMA-100423",
        order_id=order.public_id,
        items=[ReturnLineInput("WIDGET-BLUE-M", 1), ReturnLineInput("WIDGET-RED-S", 1)],
    )
    return ret


def rows(*lines):
    data = {"items-TOTAL_FORMS": str(len(lines)), "items-INITIAL_FORMS": "0"}
    for index, (sku, quantity, condition, restocked) in enumerate(lines):
        data.update(
            {
                f"items-{index}-sku": sku,
                f"items-{index}-quantity": str(quantity),
                f"items-{index}-condition": condition,
                f"items-{index}-restocked": restocked,
            }
        )
    return data


def test_admin_pages_render(admin_client, rma):
    assert admin_client.get(reverse("admin:fulfillment_return_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:fulfillment_return_change", args=[rma.pk]))
    assert reverse("admin:fulfillment_return_receive", args=[rma.pk]) in page.content.decode()
    assert admin_client.get(reverse("admin:fulfillment_return_receive", args=[rma.pk])).status_code == 200
    assert admin_client.get(reverse("admin:fulfillment_return_add")).status_code == 200


def test_staff_receive_rma_restocks_only_resellable_then_process(admin_client, tenant, rma):
    response = admin_client.post(
        reverse("admin:fulfillment_return_receive", args=[rma.pk]),
        rows(("WIDGET-BLUE-M", 1, "resellable", ""), ("WIDGET-RED-S", 1, "damaged", "")),
    )

    assert response.status_code == 302
    rma.refresh_from_db()
    assert rma.status == "received"
    assert [(i.sku, i.quantity_received, i.condition, i.restocked) for i in rma.items.all()] == [
        ("WIDGET-BLUE-M", 1, "resellable", True),
        ("WIDGET-RED-S", 1, "damaged", False),
    ]
    assert numbers(tenant, "live", "WIDGET-BLUE-M")["on_hand"] == 1
    assert numbers(tenant, "live", "WIDGET-RED-S")["on_hand"] == 0
    assert_ledger_matches_stock(tenant, "live")

    admin_client.post(
        reverse("admin:fulfillment_return_changelist"), {"action": "process_selected", "_selected_action": [rma.pk]}
    )
    assert Return.objects.get(pk=rma.pk).status == "processed"


def test_staff_over_return_is_refused_and_writes_nothing(admin_client, tenant, rma):
    response = admin_client.post(
        reverse("admin:fulfillment_return_receive", args=[rma.pk]), rows(("WIDGET-BLUE-M", 3, "resellable", ""))
    )

    assert response.status_code == 200
    assert "can return at most" in response.content.decode()
    assert Return.objects.get(pk=rma.pk).status == "expected"
    assert numbers(tenant, "live", "WIDGET-BLUE-M")["on_hand"] == 0


def test_staff_receive_a_return_without_rma_for_a_known_order(admin_client, tenant, order):
    data = {"tenant": tenant.pk, "environment": "live", "order": "SO-100423", "warehouse": "", "rma": "", "note": ""}
    data.update(rows(("WIDGET-BLUE-M", 2, "resellable", "no"), ("", "", "", "")))

    response = admin_client.post(reverse("admin:fulfillment_return_add"), data)

    assert response.status_code == 302
    ret = Return.objects.get()
    assert (ret.order_id, ret.rma, ret.status, ret.warehouse.public_id) == (order.pk, None, "received", "wh_syd_1")
    assert [(i.quantity_received, i.restocked) for i in ret.items.all()] == [(2, False)]
    assert numbers(tenant, "live", "WIDGET-BLUE-M")["on_hand"] == 0


def test_staff_receive_a_return_without_any_order(admin_client, tenant, order):
    data = {
        "tenant": tenant.pk,
        "environment": "live",
        "order": "",
        "warehouse": Warehouse.objects.get(public_id="wh_mel_1").pk,
        "rma": "",
        "note": "no paperwork",
    }
    data.update(rows(("WIDGET-RED-S", 1, "resellable", "")))

    response = admin_client.post(reverse("admin:fulfillment_return_add"), data)

    assert response.status_code == 302
    ret = Return.objects.get()
    assert (ret.order_id, ret.warehouse.public_id) == (None, "wh_mel_1")
    assert numbers(tenant, "live", "WIDGET-RED-S", warehouse="wh_mel_1")["on_hand"] == 1
    assert_ledger_matches_stock(tenant, "live")
