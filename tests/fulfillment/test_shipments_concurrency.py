"""A ship and a cancel of the same order racing on PostgreSQL: exactly one wins, stock stays consistent."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from config.api.errors import Conflict
from fulfillment.models import Carrier, Order, OrderStatus, Shipment
from fulfillment.services import orders as order_services
from fulfillment.services import shipments as svc
from fulfillment.services.shipments import ParcelSpec
from tests.fulfillment.shipments_support import cell, make_order, set_stock

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 6


def test_concurrent_ship_and_cancel_have_exactly_one_winner(tenant, reference_data):
    carrier = Carrier.objects.get(code="auspost")
    set_stock(tenant, "sandbox", "A", 100)
    outcomes = []

    for round_number in range(ROUNDS):
        order = make_order(tenant, "sandbox", [("A", 2)])
        barrier = threading.Barrier(2)
        results: dict[str, str] = {}

        def do_ship(order=order, results=results, barrier=barrier, n=round_number):
            try:
                barrier.wait()
                svc.shipment_create(
                    tenant=tenant,
                    environment="sandbox",
                    order_id=order.pk,
                    parcels=[ParcelSpec(f"RACE{n}AU", carrier, "Express Post")],
                    actor_label="race",
                )
                results["ship"] = "ok"
            except Conflict as exc:
                results["ship"] = exc.code
            finally:
                connection.close()

        def do_cancel(order=order, results=results, barrier=barrier):
            try:
                barrier.wait()
                order_services.order_cancel(order=Order.objects.get(pk=order.pk), actor_label="race")
                results["cancel"] = "ok"
            except Conflict as exc:
                results["cancel"] = exc.code
            finally:
                connection.close()

        threads = [threading.Thread(target=do_ship), threading.Thread(target=do_cancel)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        final = Order.objects.get(pk=order.pk)
        shipments = Shipment.objects.filter(order=order).count()
        if results["ship"] == "ok":
            assert results["cancel"] == "already_shipped"
            assert (final.status, shipments) == (OrderStatus.SHIPPED, 1)
        else:
            assert results == {"ship": "order_cancelled", "cancel": "ok"}
            assert (final.status, shipments) == (OrderStatus.CANCELLED, 0)
        outcomes.append("ship" if results["ship"] == "ok" else "cancel")

    shipped = outcomes.count("ship")
    # Every order allocated 2; shipped ones took 2 off the shelf, cancelled ones gave their 2 back.
    assert cell(tenant, "sandbox", "A") == {"on_hand": 100 - 2 * shipped, "allocated": 0, "backordered": 0}
