"""Real concurrency on PostgreSQL: threads with their own connections race on the same rows."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from config.api.errors import ApiError
from fulfillment.models import IdempotencyKey, Order, OrderLine
from fulfillment.services.orders import order_start_picking
from tests.fulfillment.orders_support import cell_numbers, order_body, stock_set

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(n: int, fn) -> list:
    """Run fn(i) in n threads released together; returns results (or exceptions) by index."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        try:
            barrier.wait(timeout=30)
            results[i] = fn(i)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_twenty_parallel_creates_with_one_key_make_one_order(sandbox, tenant, api_for):
    stock_set(tenant, "sandbox", "WIDGET-BLUE-M", "wh_syd_1", 100)
    key = sandbox.issued.key

    def create(_):
        response = api_for(key).post("/v1/orders", order_body(), headers={"Idempotency-Key": "one-key"})
        return response.status_code, response.json()

    results = race(20, create)
    assert Order.objects.count() == 1
    order = Order.objects.get()
    statuses = sorted(r[0] for r in results)
    assert statuses == [200] * 19 + [201]
    assert {r[1]["id"] for r in results} == {order.public_id}
    assert IdempotencyKey.objects.get().state == "completed"
    assert cell_numbers(tenant, "sandbox", "WIDGET-BLUE-M") == (100, 2, 0)


def test_parallel_creates_with_one_reference_and_no_key_make_one_order(sandbox, tenant, api_for):
    stock_set(tenant, "sandbox", "WIDGET-BLUE-M", "wh_syd_1", 100)
    key = sandbox.issued.key
    results = race(10, lambda _: api_for(key).post("/v1/orders", order_body()))
    assert Order.objects.count() == 1
    assert sorted(r.status_code for r in results) == [200] * 9 + [201]
    assert {r.json()["id"] for r in results} == {Order.objects.get().public_id}


def test_last_units_are_never_over_allocated(sandbox, tenant, api_for):
    stock_set(tenant, "sandbox", "WIDGET-RED-S", "wh_syd_1", 5)
    key = sandbox.issued.key

    def create(i):
        body = order_body(reference=f"R-{i}", items=[{"sku": "WIDGET-RED-S", "quantity": 1}])
        return api_for(key).post("/v1/orders", body).status_code

    results = race(20, create)
    assert results == [201] * 20
    assert cell_numbers(tenant, "sandbox", "WIDGET-RED-S") == (5, 5, 15)
    assert Order.objects.filter(status="received").count() == 5
    assert Order.objects.filter(status="backordered").count() == 15
    assert sum(OrderLine.objects.values_list("quantity_allocated", flat=True)) == 5


def test_cancel_racing_start_picking_exactly_one_wins(sandbox, tenant, api_for):
    stock_set(tenant, "sandbox", "WIDGET-BLUE-M", "wh_syd_1", 100)
    key = sandbox.issued.key
    for round_number in range(8):
        order_id = sandbox.post("/v1/orders", order_body(reference=f"R-{round_number}")).json()["id"]

        def act(i, order_id=order_id):
            if i == 0:
                response = api_for(key).post(f"/v1/orders/{order_id}/cancel")
                return ("cancel", response.status_code, response.json().get("error", {}).get("code"))
            try:
                order_start_picking(order=Order.objects.get(public_id=order_id), actor_label="staff:picker")
                return ("pick", 200, None)
            except ApiError as error:
                return ("pick", error.status_code, error.code)

        cancel, pick = race(2, act)
        final = Order.objects.get(public_id=order_id)
        if final.status == "cancelled":
            assert cancel == ("cancel", 200, None)
            assert pick == ("pick", 409, "invalid_status_transition")
        else:
            assert final.status == "processing"
            assert pick == ("pick", 200, None)
            assert cancel == ("cancel", 409, "too_late_to_cancel")
    allocated = sum(OrderLine.objects.filter(order__status="processing").values_list("quantity_allocated", flat=True))
    assert cell_numbers(tenant, "sandbox", "WIDGET-BLUE-M") == (100, allocated, 0)


def test_concurrent_patches_with_same_if_match_one_wins(sandbox, tenant, api_for):
    stock_set(tenant, "sandbox", "WIDGET-BLUE-M", "wh_syd_1", 100)
    order_id = sandbox.post("/v1/orders", order_body()).json()["id"]
    key = sandbox.issued.key

    def patch(i):
        response = api_for(key).patch(
            f"/v1/orders/{order_id}", {"packing_note": f"note {i}"}, headers={"If-Match": '"1"'}
        )
        return response.status_code, response.json().get("error", {}).get("code")

    results = race(10, patch)
    assert sorted(results, key=lambda r: r[0]) == [(200, None)] + [(409, "version_conflict")] * 9
    order = Order.objects.get()
    assert order.version == 2
    assert order.history.filter(kind="amended").count() == 1
