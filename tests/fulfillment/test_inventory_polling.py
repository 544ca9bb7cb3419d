"""The full-inventory polling policy: refusals (429 + Retry-After + policy event) and what is exempt."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.utils import timezone

from fulfillment.services.inventory import inventory_full_poll_claim
from tenants.models import ApiConnection, PolicyEvent
from tests.fulfillment.shipments_support import set_stock

pytestmark = pytest.mark.django_db


def refusals(conn) -> int:
    return PolicyEvent.objects.filter(connection=conn, kind=PolicyEvent.Kind.INVENTORY_POLL_REFUSED).count()


def test_second_full_scan_within_two_hours_is_429_with_retry_after(live, tenant):
    set_stock(tenant, "live", "A", 5)
    conn = live.issued.connection

    first = live.get("/v1/inventory")
    second = live.get("/v1/inventory")

    assert first.status_code == 200
    assert [r["sku"] for r in first.json()["data"]] == ["A"]
    assert second.status_code == 429
    error = second.json()["error"]
    assert error["code"] == "inventory_poll_too_frequent"
    assert error["type"] == "rate_limit"
    assert 7190 <= int(second["Retry-After"]) <= 7200
    assert refusals(conn) == 1
    event = PolicyEvent.objects.get(connection=conn, kind=PolicyEvent.Kind.INVENTORY_POLL_REFUSED)
    assert event.detail["interval_seconds"] == 7200
    assert event.environment == "live"


def test_refused_scan_does_not_move_the_last_poll_time(live, tenant):
    conn = live.issued.connection
    live.get("/v1/inventory")
    first_at = ApiConnection.objects.get(pk=conn.pk).last_full_inventory_poll_at

    live.get("/v1/inventory")

    assert first_at is not None
    assert ApiConnection.objects.get(pk=conn.pk).last_full_inventory_poll_at == first_at


def test_a_refused_bad_request_does_not_use_up_the_full_scan(live):
    assert live.get("/v1/inventory", {"limit": "0"}).status_code == 422

    assert live.get("/v1/inventory").status_code == 200


def test_full_scan_is_allowed_again_after_the_interval(live, tenant):
    conn = live.issued.connection
    ApiConnection.objects.filter(pk=conn.pk).update(
        last_full_inventory_poll_at=timezone.now() - timedelta(hours=2, seconds=1)
    )

    assert live.get("/v1/inventory").status_code == 200
    assert refusals(conn) == 0


def test_incremental_polls_single_sku_and_cursor_pages_are_never_limited(live, tenant):
    set_stock(tenant, "live", "A", 5)
    set_stock(tenant, "live", "B", 5)
    first = live.get("/v1/inventory", {"limit": "1"})
    assert first.status_code == 200
    cursor = first.json()["pagination"]["next_cursor"]

    for _ in range(3):
        assert live.get("/v1/inventory", {"updated_since": "2026-01-01T00:00:00Z"}).status_code == 200
        assert live.get("/v1/inventory", {"sku": "A"}).status_code == 200
        assert live.get("/v1/inventory/A").status_code == 200
        assert live.get("/v1/inventory", {"cursor": cursor, "limit": "1"}).status_code == 200
    assert refusals(live.issued.connection) == 0


def test_sandbox_connections_are_exempt(sandbox):
    for _ in range(3):
        assert sandbox.get("/v1/inventory").status_code == 200
    assert refusals(sandbox.issued.connection) == 0
    assert ApiConnection.objects.get(pk=sandbox.issued.connection.pk).last_full_inventory_poll_at is None


def test_an_approved_connection_gets_its_own_interval(live, tenant):
    conn = live.issued.connection
    ApiConnection.objects.filter(pk=conn.pk).update(inventory_full_poll_interval_seconds=600)

    assert live.get("/v1/inventory").status_code == 200
    refused = live.get("/v1/inventory")
    assert refused.status_code == 429
    assert 590 <= int(refused["Retry-After"]) <= 600

    ApiConnection.objects.filter(pk=conn.pk).update(last_full_inventory_poll_at=timezone.now() - timedelta(seconds=601))
    assert live.get("/v1/inventory").status_code == 200


def test_an_approved_zero_interval_means_unlimited(live):
    ApiConnection.objects.filter(pk=live.issued.connection.pk).update(inventory_full_poll_interval_seconds=0)

    assert [live.get("/v1/inventory").status_code for _ in range(3)] == [200, 200, 200]


def test_the_default_interval_is_a_setting(live, settings):
    settings.INVENTORY_FULL_POLL_MIN_INTERVAL_LIVE = timedelta(seconds=30)

    live.get("/v1/inventory")
    refused = live.get("/v1/inventory")

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 30


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_full_scans_cannot_both_pass(live):
    conn = ApiConnection.objects.get(pk=live.issued.connection.pk)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def scan():
        try:
            barrier.wait()
            inventory_full_poll_claim(connection=conn)
            outcomes.append("allowed")
        except Exception as exc:  # noqa: BLE001 - the refusal is what we count
            outcomes.append(getattr(exc, "code", repr(exc)))
        finally:
            db_connection.close()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["allowed", "inventory_poll_too_frequent"]
    assert refusals(conn) == 1
