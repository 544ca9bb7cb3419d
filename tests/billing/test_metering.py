"""Metering: exact bytes per request, counters, request log, and a flush that neither loses nor double-counts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections
from django.db import connection as db_connection
from django.http import StreamingHttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from billing import metering, selectors, services
from billing.models import UsageFlush, UsageHour
from tenants.scoping import ApiScope

pytestmark = pytest.mark.django_db


def wire_response_bytes(response) -> int:
    """What the test client received: status line, headers, blank line, body."""
    head = f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in response.items())
    return len((head + "\r\n").encode()) + len(response.content)


def only_row(**filters) -> UsageHour:
    rows = list(UsageHour.objects.filter(**filters))
    assert len(rows) == 1, rows
    return rows[0]


def test_get_request_bytes_match_what_the_client_sent_and_received(sandbox, store_kind):
    response = sandbox.get("/v1/warehouses")
    assert response.status_code == 200
    sent = f"GET /v1/warehouses HTTP/1.1\r\nAuthorization: Bearer {sandbox.key}\r\n\r\n".encode()

    services.usage_flush()

    row = only_row(connection=sandbox.issued.connection)
    assert row.endpoint_group == "warehouses"
    assert row.environment == "sandbox"
    assert row.requests == 1
    assert row.bytes_in == len(sent)
    assert row.bytes_out == wire_response_bytes(response)
    assert (row.errors_4xx, row.errors_5xx, row.token_mints, row.auth_failures) == (0, 0, 0, 0)
    assert sum(getattr(row, f"lat_{i}") for i in range(12)) == 1


def test_post_body_and_query_string_count_exactly_and_4xx_is_an_error(sandbox):
    body = b'{"reference": "   "}'
    response = sandbox.client.generic(
        "POST",
        "/v1/orders?dry=1",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {sandbox.key}",
        HTTP_X_REQUEST_ID="trace-42",
    )
    assert 400 <= response.status_code < 500
    sent = (
        b"POST /v1/orders?dry=1 HTTP/1.1\r\n"
        + f"Authorization: Bearer {sandbox.key}\r\n".encode()
        + b"X-Request-Id: trace-42\r\n"
        + b"Content-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n".encode()
        + b"\r\n"
        + body
    )

    services.usage_flush()

    row = only_row(connection=sandbox.issued.connection)
    assert row.endpoint_group == "orders"
    assert row.bytes_in == len(sent)
    assert row.bytes_out == wire_response_bytes(response)
    assert (row.requests, row.errors_4xx, row.errors_5xx) == (1, 1, 0)


def test_streaming_response_counts_the_streamed_chunks(sandbox):
    connection = sandbox.issued.connection
    request = RequestFactory().get("/v1/orders")
    request.api_scope = ApiScope(
        tenant=connection.tenant, environment="sandbox", connection=connection, credential_kind="key"
    )
    request.request_id = "req_stream"
    response = StreamingHttpResponse(iter([b"abc", b"defgh"]), content_type="text/plain")

    metering.observe(request, response, 3.0)
    received = b"".join(response.streaming_content)
    request_finished.disconnect(close_old_connections)  # as the test client does: keep the test's connection
    try:
        response.close()  # what the WSGI server does after sending the last chunk
    finally:
        request_finished.connect(close_old_connections)
    services.usage_flush()

    head = metering.response_head_bytes(response, "HTTP/1.1")
    assert received == b"abcdefgh"
    row = only_row(connection=connection)
    assert row.bytes_out == head + 8
    assert row.endpoint_group == "unknown"  # no resolved route
    assert row.lat_0 == 1  # 3 ms falls in the first bucket (<= 5 ms)


def test_failed_attempt_with_a_known_key_id_counts_for_that_connection(sandbox, anonymous):
    key_id = sandbox.issued.api_key.key_id
    bad = f"wms_test_{key_id}_" + "x" * 32
    response = anonymous.get("/v1/warehouses", headers={"Authorization": f"Bearer {bad}"})
    assert response.status_code == 401

    services.usage_flush()

    row = only_row(connection=sandbox.issued.connection)
    assert (row.requests, row.auth_failures, row.errors_4xx) == (1, 1, 1)
    assert row.bytes_in == len(f"GET /v1/warehouses HTTP/1.1\r\nAuthorization: Bearer {bad}\r\n\r\n")


def test_unknown_key_id_and_anonymous_calls_are_not_metered(anonymous, reference_data):
    anonymous.get("/v1/warehouses", headers={"Authorization": "Bearer wms_test_000000000000_" + "A" * 32})
    anonymous.get("/v1/warehouses")

    services.usage_flush()

    assert UsageHour.objects.count() == 0


def test_token_mint_is_counted_in_the_auth_group(sandbox):
    response = sandbox.post("/v1/auth/token")
    assert response.status_code in (200, 201)

    services.usage_flush()

    row = only_row(connection=sandbox.issued.connection)
    assert (row.endpoint_group, row.token_mints, row.requests) == ("auth", 1, 1)


def test_request_path_writes_no_database_row(sandbox):
    sandbox.get("/v1/warehouses")  # warm-up: last_used_at is written at most once a minute
    with CaptureQueriesContext(db_connection) as ctx:
        sandbox.get("/v1/warehouses")
    writes = [q["sql"] for q in ctx.captured_queries if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == []
    assert UsageHour.objects.count() == 0


def test_request_log_shows_a_request_before_any_flush(sandbox, store_kind):
    response = sandbox.get("/v1/warehouses", headers={"X-Request-ID": "abc-123"})
    sandbox.get("/v1/nothing-here")

    entries = selectors.request_log(connection=sandbox.issued.connection)

    assert len(entries) == 1  # the unknown route is public: no connection, not metered
    entry = entries[0]
    assert entry["method"] == "GET"
    assert entry["path"] == "/v1/warehouses"
    assert entry["status"] == 200
    assert entry["request_id"] == "abc-123" == response["X-Request-ID"]
    assert entry["bytes_out"] == wire_response_bytes(response)
    assert entry["connection_id"] == sandbox.issued.connection.public_id
    assert entry["time"].tzinfo is not None


def test_request_log_filters_by_status_path_and_request_id(sandbox, tenant):
    sandbox.get("/v1/warehouses", headers={"X-Request-ID": "one"})
    sandbox.post("/v1/orders", {}, headers={"X-Request-ID": "two"})

    assert [e["request_id"] for e in selectors.request_log(tenant=tenant, environment="sandbox")] == ["two", "one"]
    assert [e["request_id"] for e in selectors.request_log(tenant=tenant, environment="sandbox", status="4xx")] == [
        "two"
    ]
    assert [e["request_id"] for e in selectors.request_log(tenant=tenant, environment="sandbox", status=200)] == ["one"]
    assert selectors.request_log(tenant=tenant, environment="sandbox", path_contains="wareh")[0]["request_id"] == "one"
    assert selectors.request_log(tenant=tenant, environment="sandbox", request_id="two")[0]["path"] == "/v1/orders"
    assert selectors.request_log(tenant=tenant, environment="live") == []


def test_request_log_is_bounded_by_size_and_age(sandbox, settings, store_kind):
    settings.REQUEST_LOG_MAX_ENTRIES = 3
    for i in range(5):
        sandbox.get("/v1/warehouses", headers={"X-Request-ID": f"r{i}"})

    entries = selectors.request_log(connection=sandbox.issued.connection)
    assert [e["request_id"] for e in entries] == ["r4", "r3", "r2"]

    settings.REQUEST_LOG_MAX_AGE_SECONDS = 0
    with mock.patch("django.utils.timezone.now", return_value=datetime.now(UTC).replace(year=2100)):
        assert selectors.request_log(connection=sandbox.issued.connection) == []


def test_flush_that_fails_keeps_everything_and_the_retry_counts_once(sandbox, store_kind):
    sandbox.get("/v1/warehouses")
    sandbox.get("/v1/warehouses")

    with (
        mock.patch("billing.services._hours_upsert", side_effect=RuntimeError("db down")),
        pytest.raises(RuntimeError),
    ):
        services.usage_flush()
    assert UsageHour.objects.count() == 0
    assert UsageFlush.objects.count() == 0

    sandbox.get("/v1/warehouses")  # traffic keeps accumulating while the flush is failing
    services.usage_flush()
    services.usage_flush()

    row = only_row(connection=sandbox.issued.connection)
    assert row.requests == 3


def test_flush_that_died_after_commit_is_not_applied_twice(sandbox, store_kind):
    sandbox.get("/v1/warehouses")
    store = metering.store()

    crash = RuntimeError("crashed before forgetting the batch")
    with mock.patch.object(type(store), "done", side_effect=crash), pytest.raises(RuntimeError):
        services.usage_flush()
    assert only_row(connection=sandbox.issued.connection).requests == 1

    result = services.usage_flush()

    assert (result.applied, result.already_applied) == (0, 1)
    assert only_row(connection=sandbox.issued.connection).requests == 1
    assert services.usage_flush().already_applied == 0  # the batch is forgotten now


def test_two_flushes_add_to_the_same_hourly_row(sandbox, store_kind):
    sandbox.get("/v1/warehouses")
    services.usage_flush()
    sandbox.get("/v1/warehouses")
    services.usage_flush()

    assert only_row(connection=sandbox.issued.connection).requests == 2


def test_usage_today_includes_unflushed_requests_without_double_counting(sandbox, tenant, store_kind):
    sandbox.get("/v1/warehouses")
    sandbox.post("/v1/orders", {})

    before = selectors.usage_today(tenant=tenant, environment="sandbox")
    services.usage_flush()
    after = selectors.usage_today(tenant=tenant, environment="sandbox")

    assert before == after
    assert before["requests"] == 2
    assert before["errors_4xx"] == 1
    assert before["error_rate"] == 0.5
    assert before["p95_ms"] is not None


def test_latency_percentiles_come_from_the_histogram():
    histogram = [0] * 12
    histogram[2] = 90  # <= 25 ms
    histogram[6] = 10  # <= 500 ms
    assert selectors.latency_percentile(histogram, 0.5) == 25
    assert selectors.latency_percentile(histogram, 0.95) == 500
    assert selectors.latency_percentile([0] * 12, 0.5) is None
    assert metering.latency_bucket(5) == 0
    assert metering.latency_bucket(5.01) == 1
    assert metering.latency_bucket(60_000) == 11


def test_redis_accumulator_uses_one_hash_per_hour(sandbox, store_kind):
    if store_kind != "redis":
        pytest.skip("Redis layout only")
    sandbox.get("/v1/warehouses")
    client = metering.store().client
    pending = [k.decode() for k in client.smembers("mt:pending")]
    assert len(pending) == 1 and pending[0].startswith("mt:acc:")
    fields = {k.decode(): int(v) for k, v in client.hgetall(pending[0]).items()}
    conn = sandbox.issued.connection
    assert fields[f"{conn.pk}|{conn.tenant_id}|sandbox|warehouses|requests"] == 1
    log = [json.loads(x) for x in client.lrange(f"mt:log:{conn.pk}", 0, -1)]
    assert log[0]["path"] == "/v1/warehouses"
    assert client.ttl(f"mt:log:{conn.pk}") > 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_flushes_apply_each_batch_once(tenant, store_kind):
    import threading

    from tests.factories import make_connection

    conn = make_connection(tenant, "live").connection
    hour = int(datetime.now(UTC).timestamp()) // 3600 * 3600
    for i in range(50):
        metering.record(
            key=metering.BucketKey(hour, conn.pk, tenant.pk, "live", "orders"),
            status=200,
            bytes_in=100,
            bytes_out=1000,
            duration_ms=1.0,
            log_entry={"t": 0, "request_id": str(i)},
        )
    barrier = threading.Barrier(3)
    errors = []

    def flush():
        try:
            barrier.wait()
            services.usage_flush()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=flush) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    row = only_row(connection=conn)
    assert (row.requests, row.bytes_in, row.bytes_out) == (50, 5000, 50000)
