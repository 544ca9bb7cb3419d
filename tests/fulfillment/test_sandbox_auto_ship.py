"""Sandbox auto-ship: a periodic sweeper ships sandbox orders older than the tenant's delay, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fulfillment.models import Order, OrderStatus, Shipment
from fulfillment.schedule import BEAT_SCHEDULE
from fulfillment.tasks import sandbox_auto_ship_sweep
from tests.fulfillment.shipments_support import make_order, set_stock

pytestmark = pytest.mark.django_db


def age(order, seconds: int) -> None:
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(seconds=seconds))


def test_sweeper_ships_due_sandbox_orders_once(tenant, reference_data):
    tenant.sandbox_auto_ship_seconds = 60
    tenant.save()
    set_stock(tenant, "sandbox", "A", 10)
    set_stock(tenant, "live", "A", 10)
    due = make_order(tenant, "sandbox", [("A", 2)])
    young = make_order(tenant, "sandbox", [("A", 1)])
    live = make_order(tenant, "live", [("A", 1)])
    age(due, 61)
    age(young, 10)
    age(live, 3600)

    assert sandbox_auto_ship_sweep() == 1
    assert sandbox_auto_ship_sweep() == 0  # idempotent

    shipment = Shipment.objects.get()
    assert shipment.order_id == due.pk
    assert shipment.parcels.count() == 1
    assert Order.objects.get(pk=due.pk).status == OrderStatus.SHIPPED
    assert Order.objects.get(pk=young.pk).status == OrderStatus.RECEIVED
    assert Order.objects.get(pk=live.pk).status == OrderStatus.RECEIVED


def test_sweeper_ignores_tenants_without_the_setting_and_unallocated_orders(tenant, other_tenant, reference_data):
    other_tenant.sandbox_auto_ship_seconds = 1
    other_tenant.save()
    set_stock(tenant, "sandbox", "A", 10)
    plain = make_order(tenant, "sandbox", [("A", 1)])
    waiting = make_order(other_tenant, "sandbox", [("A", 1)])  # no stock: nothing allocated
    age(plain, 3600)
    age(waiting, 3600)

    assert sandbox_auto_ship_sweep() == 0
    assert Shipment.objects.count() == 0


def test_sweeper_is_on_the_beat_schedule():
    entry = BEAT_SCHEDULE["fulfillment-sandbox-auto-ship"]
    assert entry["task"] == sandbox_auto_ship_sweep.name
