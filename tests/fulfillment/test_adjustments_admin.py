"""Staff record inventory adjustments in admin: signed deltas, "counted N" cycle counts, the guard."""

from __future__ import annotations

from django.urls import reverse

from fulfillment.models import InventoryAdjustment, StockMovement, Warehouse
from tests.fulfillment.advanced_support import add_stock, allocate, assert_ledger_matches_stock, numbers

ADD = "admin:fulfillment_inventoryadjustment_add"


def form(tenant, **changes):
    data = {
        "tenant": tenant.pk,
        "environment": "live",
        "sku": "WIDGET-BLUE-M",
        "warehouse": Warehouse.objects.get(public_id="wh_syd_1").pk,
        "reason": "damaged",
        "quantity_delta": "",
        "counted_quantity": "",
        "note": "",
    }
    data.update(changes)
    return data


def test_add_page_renders(admin_client, reference_data):
    assert admin_client.get(reverse(ADD)).status_code == 200
    assert admin_client.get(reverse("admin:fulfillment_inventoryadjustment_changelist")).status_code == 200


def test_staff_record_a_damaged_adjustment(admin_client, tenant, reference_data):
    add_stock(tenant, "live", "WIDGET-BLUE-M", 20)

    response = admin_client.post(reverse(ADD), form(tenant, quantity_delta="-3", note="Water damage, pallet 12"))

    assert response.status_code == 302
    adjustment = InventoryAdjustment.objects.get()
    assert (adjustment.quantity_delta, adjustment.reason, adjustment.actor) == (-3, "damaged", "staff:admin")
    assert numbers(tenant, "live", "WIDGET-BLUE-M")["on_hand"] == 17
    assert_ledger_matches_stock(tenant, "live")


def test_staff_cycle_count_entered_as_counted(admin_client, tenant, reference_data):
    add_stock(tenant, "live", "WIDGET-BLUE-M", 20)

    response = admin_client.post(reverse(ADD), form(tenant, reason="cycle_count", counted_quantity="24"))

    assert response.status_code == 302
    assert InventoryAdjustment.objects.get().quantity_delta == 4
    assert numbers(tenant, "live", "WIDGET-BLUE-M")["on_hand"] == 24


def test_staff_adjustment_below_allocated_is_a_form_error_and_writes_nothing(admin_client, tenant, reference_data):
    add_stock(tenant, "live", "WIDGET-BLUE-M", 5)
    allocate(tenant, "live", "WIDGET-BLUE-M", 4)
    movements = StockMovement.objects.count()

    response = admin_client.post(reverse(ADD), form(tenant, quantity_delta="-2"))

    assert response.status_code == 200
    assert "allocated" in response.content.decode()
    assert InventoryAdjustment.objects.count() == 0
    assert StockMovement.objects.count() == movements
    assert numbers(tenant, "live", "WIDGET-BLUE-M")["on_hand"] == 5


def test_staff_unknown_sku_is_a_form_error(admin_client, tenant, reference_data):
    response = admin_client.post(reverse(ADD), form(tenant, sku="NOPE", quantity_delta="1"))

    assert response.status_code == 200
    assert "has no SKU NOPE" in response.content.decode()
    assert InventoryAdjustment.objects.count() == 0


def test_recorded_adjustment_is_read_only_in_admin(admin_client, tenant, reference_data):
    add_stock(tenant, "live", "WIDGET-BLUE-M", 20)
    admin_client.post(reverse(ADD), form(tenant, quantity_delta="-3"))
    adjustment = InventoryAdjustment.objects.get()
    change = reverse("admin:fulfillment_inventoryadjustment_change", args=[adjustment.pk])

    assert admin_client.get(change).status_code == 200
    assert admin_client.post(change, {"quantity_delta": "-300"}).status_code == 403
    assert InventoryAdjustment.objects.get().quantity_delta == -3
