"""Fault injection: Redis down, broker down, a hanging receiver, a worker dying mid-delivery, the database
connection dropped mid-request. Each test states the decision (fail open / fail closed) it proves;
docs/robustness.md lists them.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest

from benchmarks.payloads import ensure_catalogue, order_body
from benchmarks.receiver import receiver
from tests.robustness.conftest import unlimited

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused at once


@pytest.fixture
def rx(tmp_path):
    with receiver(tmp_path / "receipts.log", hang=6.0) as r:
        yield r


def _subscribe(api, url: str, events=("order.created",)) -> dict:
    response = api.post("/v1/webhooks", {"url": url, "events": list(events)})
    assert response.status_code == 201, response.content
    return response.json()


def _wait_for(predicate, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


# --- Redis down: rate-limit and metering store ---------------------------------------------


@pytest.fixture
def dead_redis(settings, monkeypatch):
    """REDIS_URL points at a closed port; the counter and metering stores are rebuilt against it."""
    from billing import metering
    from tenants import ratelimit

    metering.reset_for_tests()
    ratelimit.reset_counter_for_tests()
    # Restored to None afterwards, so nothing tries to empty the dead store.
    monkeypatch.setattr(metering, "_store", None)
    settings.REDIS_URL = DEAD_REDIS
    yield


@pytest.mark.django_db
def test_redis_down_the_api_keeps_serving_reads_and_writes_and_the_limiter_fails_open(
    sandbox, tenant, settings, caplog, dead_redis
):
    from fulfillment.models import Product

    settings.RATE_LIMIT_ENABLED = True
    settings.METERING_ENABLED = True
    caplog.set_level(logging.WARNING)
    reads = [sandbox.get("/v1/warehouses") for _ in range(3)]
    write = sandbox.post("/v1/products", {"sku": "REDIS-DOWN-1", "description": "Written while Redis is down"})
    assert [r.status_code for r in reads] == [200, 200, 200]
    assert write.status_code == 201, write.content
    assert Product.objects.filter(tenant=tenant, environment="sandbox", sku="REDIS-DOWN-1").count() == 1
    # Fail open, visibly: the limiter says so in the log, and the full limit is advertised.
    assert "rate-limit store unavailable; failing open" in caplog.text
    assert reads[0]["X-RateLimit-Remaining"] == reads[0]["X-RateLimit-Limit"]


@pytest.mark.django_db
def test_redis_down_metering_fails_open_and_logs_the_lost_counts(sandbox, settings, caplog, dead_redis):
    settings.METERING_ENABLED = True
    caplog.set_level(logging.WARNING, logger="billing.metering")
    response = sandbox.get("/v1/warehouses")
    assert response.status_code == 200
    assert any(r.name == "billing.metering" and r.levelno >= logging.WARNING for r in caplog.records)


@pytest.mark.django_db
def test_redis_back_the_limiter_counts_again(sandbox, settings, dead_redis):
    """Fail-open is per request: once the store answers, limits apply again (no sticky open state)."""
    from tenants import ratelimit

    assert sandbox.get("/v1/warehouses").status_code == 200
    settings.REDIS_URL = ""  # the embedded store stands in for a recovered Redis
    ratelimit.reset_counter_for_tests()
    conn = sandbox.issued.connection
    conn.rate_limit_high = 2
    conn.save(update_fields=["rate_limit_high"])
    statuses = [sandbox.get("/v1/warehouses").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


# --- Broker down during writes --------------------------------------------------------------


def _broker_down(monkeypatch):
    from kombu.exceptions import OperationalError

    from webhooks import tasks

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.deliveries_dispatch_task, "apply_async", refuse)
    monkeypatch.setattr(tasks.deliveries_dispatch_task, "delay", refuse)


@pytest.mark.django_db
def test_broker_down_writes_succeed_and_events_are_delivered_after_recovery(
    sandbox, tenant, rx, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    from fulfillment.models import Order
    from webhooks import services
    from webhooks.models import Delivery, Event

    unlimited(sandbox)
    ensure_catalogue(tenant, "sandbox")
    _subscribe(sandbox, f"{rx.url}/ok")
    _broker_down(monkeypatch)
    caplog.set_level(logging.WARNING, logger="webhooks")
    with django_capture_on_commit_callbacks(execute=True):
        responses = [
            sandbox.post("/v1/orders", order_body(n, prefix="BROKER"), headers={"Idempotency-Key": f"broker-{n}"})
            for n in range(3)
        ]
    assert [r.status_code for r in responses] == [201, 201, 201]
    assert Order.objects.filter(tenant=tenant, reference__startswith="REF-BROKER-").count() == 3
    assert "broker unavailable" in caplog.text
    events = set(Event.objects.filter(tenant=tenant, event_type="order.created").values_list("public_id", flat=True))
    assert len(events) == 3
    assert Delivery.objects.filter(event__public_id__in=events, status=Delivery.Status.PENDING).count() == 3
    assert rx.receipts() == []

    monkeypatch.undo()  # the broker is back; the periodic dispatcher runs
    services.deliveries_dispatch()
    received = _wait_for(lambda: {r.event_id for r in rx.receipts()} >= events and rx.receipts())
    assert {r.event_id for r in received} == events
    assert Delivery.objects.filter(event__public_id__in=events, status=Delivery.Status.SUCCEEDED).count() == 3


# --- A receiver that hangs ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_hanging_receiver_times_out_and_other_endpoints_are_unaffected(
    sandbox, tenant, rx, settings, django_capture_on_commit_callbacks
):
    from webhooks import services
    from webhooks.models import Delivery, DeliveryAttempt

    assert settings.WEBHOOK_TIMEOUT_SECONDS == 10  # the production bound; shortened below to keep the test fast
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    unlimited(sandbox)
    ensure_catalogue(tenant, "sandbox")
    hanging = _subscribe(sandbox, f"{rx.url}/hang")
    healthy = _subscribe(sandbox, f"{rx.url}/ok")
    with django_capture_on_commit_callbacks(execute=False):
        assert sandbox.post("/v1/orders", order_body(1, prefix="HANG")).status_code == 201
    started = time.monotonic()
    services.deliveries_dispatch()
    elapsed = time.monotonic() - started
    ok = Delivery.objects.get(endpoint__public_id=healthy["id"])
    stuck = Delivery.objects.get(endpoint__public_id=hanging["id"])
    assert ok.status == Delivery.Status.SUCCEEDED
    assert stuck.status == Delivery.Status.PENDING  # retried later, not lost
    assert stuck.next_attempt_at is not None
    attempt = DeliveryAttempt.objects.get(delivery=stuck)
    assert attempt.succeeded is False
    assert "timeout" in attempt.error
    assert elapsed < 2 + 4  # bounded by the timeout, not by the receiver's 6 s hang
    assert any(r.path == "/ok" for r in rx.receipts())


# --- A worker dying mid-delivery -------------------------------------------------------------------


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing after it runs, not even `except Exception` handlers."""


@pytest.mark.django_db
def test_a_worker_killed_mid_delivery_leaves_the_delivery_to_be_redelivered_after_its_lease(
    sandbox, tenant, rx, settings, monkeypatch
):
    from django.utils import timezone

    from webhooks import services
    from webhooks.models import Delivery

    unlimited(sandbox)
    ensure_catalogue(tenant, "sandbox")
    _subscribe(sandbox, f"{rx.url}/ok")
    assert sandbox.post("/v1/orders", order_body(1, prefix="KILL")).status_code == 201
    delivery = Delivery.objects.get(endpoint__tenant=tenant)

    def killed(**kwargs):
        raise WorkerKilled

    monkeypatch.setattr(services, "http_post", killed)
    with pytest.raises(WorkerKilled):
        services.deliveries_dispatch()
    monkeypatch.undo()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.claim_token is not None  # still leased to the dead worker
    # Another worker, before the lease ends, leaves it alone; after it, delivers it.
    assert services.deliveries_dispatch() == 0
    later = timezone.now() + timedelta(seconds=settings.WEBHOOK_CLAIM_LEASE_SECONDS + 1)
    assert services.deliveries_dispatch(now=later) == 1
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SUCCEEDED
    event_ids = [r.event_id for r in rx.receipts()]
    assert event_ids == [delivery.event.public_id]


# --- The database connection dropped mid-request ---------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_database_connection_dropped_mid_order_gives_a_500_envelope_and_no_half_written_order(
    tenant, reference_data, api_for
):
    import psycopg
    from django.db import close_old_connections, connection

    from fulfillment.models import Order, OrderLine
    from tests.factories import make_connection

    issued = make_connection(tenant, "sandbox")
    api = api_for(issued.key)
    ensure_catalogue(tenant, "sandbox")
    body = order_body(1, prefix="DROP")
    dsn = connection.get_connection_params()
    killed = []

    def drop_before_lines(execute, sql, params, many, context):
        # The order row is written; its lines are next. Cut the connection from the server side here.
        if not killed and sql.startswith('INSERT INTO "fulfillment_orderline"'):
            pid = context["connection"].connection.info.backend_pid
            with psycopg.connect(
                host=dsn.get("host") or "127.0.0.1",
                port=dsn.get("port") or 5432,
                user=dsn.get("user") or "postgres",
                dbname=dsn["dbname"],
                autocommit=True,
            ) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            killed.append(pid)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(drop_before_lines):
        response = api.post("/v1/orders", body, headers={"Idempotency-Key": "drop-1"})
    assert killed, "the injection point was never reached"
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "internal_error"
    assert error["type"] == "api_error"
    assert error["request_id"] == response["X-Request-ID"]
    close_old_connections()  # what request_finished does in a real server: drop the dead connection
    connection.close()
    assert Order.objects.filter(tenant=tenant, reference=body["reference"]).count() == 0
    assert OrderLine.objects.filter(order__tenant=tenant, order__reference=body["reference"]).count() == 0
    # The ERP retries with the same key and gets exactly one order.
    retry = api.post("/v1/orders", body, headers={"Idempotency-Key": "drop-1"})
    assert retry.status_code == 201, retry.content
    assert Order.objects.filter(tenant=tenant, reference=body["reference"]).count() == 1
