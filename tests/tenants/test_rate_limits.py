"""Rate limits: per connection and group, one atomic counter, headers and 429s."""

from __future__ import annotations

import threading

import pytest
import requests

from tenants import ratelimit
from tenants.models import ApiConnection, PolicyEvent

pytestmark = pytest.mark.django_db


def test_limit_reached_gives_429_with_retry_after(sandbox):
    ApiConnection.objects.filter(pk=sandbox.issued.connection.pk).update(rate_limit_high=3)
    statuses = [sandbox.get("/v1/warehouses").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = sandbox.get("/v1/warehouses")
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert (error["code"], error["type"]) == ("rate_limited", "rate_limit")
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["X-RateLimit-Remaining"] == "0"
    assert PolicyEvent.objects.filter(kind=PolicyEvent.Kind.RATE_LIMITED).count() == 1


def test_groups_are_counted_separately(sandbox):
    ApiConnection.objects.filter(pk=sandbox.issued.connection.pk).update(rate_limit_high=1, rate_limit_low=1)
    assert sandbox.get("/v1/warehouses").status_code == 200
    assert sandbox.get("/v1/warehouses").status_code == 429
    # /v1/auth/token is in the low group: its own budget.
    assert sandbox.post("/v1/auth/token").status_code == 200


def test_connections_have_separate_budgets(sandbox, other_sandbox):
    ApiConnection.objects.filter(pk=sandbox.issued.connection.pk).update(rate_limit_high=1)
    assert sandbox.get("/v1/warehouses").status_code == 200
    assert sandbox.get("/v1/warehouses").status_code == 429
    assert other_sandbox.get("/v1/warehouses").status_code == 200


def test_staff_override_shows_in_me(sandbox):
    ApiConnection.objects.filter(pk=sandbox.issued.connection.pk).update(rate_limit_standard=1000)
    assert sandbox.get("/v1/me").json()["rate_limits"]["standard"]["limit"] == 1000


def test_counter_store_down_fails_open(sandbox, settings, monkeypatch):
    class Broken:
        def incr(self, key, ttl):
            raise ConnectionError("store down")

    monkeypatch.setattr(ratelimit, "_counter", Broken())
    response = sandbox.get("/v1/warehouses")
    assert response.status_code == 200


def test_local_counter_admits_exactly_the_limit_under_threads():
    counter = ratelimit.LocalCounter()
    results = []
    lock = threading.Lock()

    def worker():
        value = counter.incr("k", 60)
        with lock:
            results.append(value)

    threads = [threading.Thread(target=worker) for _ in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == list(range(1, 101))
    assert sum(1 for v in results if v <= 50) == 50


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_100_concurrent_requests_at_limit_50_admit_exactly_50(live_server, settings):
    """Real HTTP, real threads; with REDIS_URL set the counter is the shared Redis one."""
    from fulfillment.demo import seed_reference_data
    from tests.factories import make_connection, make_tenant

    seed_reference_data()
    issued = make_connection(make_tenant("ratelimited"), "sandbox")
    ApiConnection.objects.filter(pk=issued.connection.pk).update(rate_limit_high=50)
    barrier = threading.Barrier(100)
    statuses = []
    lock = threading.Lock()

    def call():
        session = requests.Session()
        barrier.wait()
        status = session.get(
            f"{live_server.url}/v1/warehouses", headers={"Authorization": f"Bearer {issued.key}"}, timeout=30
        ).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=call) for _ in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(statuses) == 100
    assert statuses.count(200) == 50
    assert statuses.count(429) == 50
