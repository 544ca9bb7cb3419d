"""Idempotency-Key on POST /v1/orders, and the reusable mechanism in fulfillment/idempotency.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from config.api.errors import ValidationFailed
from fulfillment.idempotency import idempotency_keys_purge, idempotent
from fulfillment.models import IdempotencyKey, Order
from tests.fulfillment.orders_support import cell_numbers, order_body, snapshot, stock_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked(tenant, reference_data):
    stock_set(tenant, "sandbox", "WIDGET-BLUE-M", "wh_syd_1", 10)
    stock_set(tenant, "live", "WIDGET-BLUE-M", "wh_syd_1", 10)
    return tenant


def post(api, body, key):
    return api.post("/v1/orders", body, headers={"Idempotency-Key": key})


def test_same_key_same_body_replays_original_order_with_200(sandbox, stocked):
    first = post(sandbox, order_body(), "key-1")
    second = post(sandbox, order_body(), "key-1")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    assert second.status_code == 200
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert Order.objects.count() == 1
    assert cell_numbers(stocked, "sandbox", "WIDGET-BLUE-M") == (10, 2, 0)


def test_replay_shows_the_order_as_it_is_now(sandbox, stocked):
    first = post(sandbox, order_body(), "key-1").json()
    sandbox.patch(f"/v1/orders/{first['id']}", {"packing_note": "Side gate"})
    replay = post(sandbox, order_body(), "key-1")
    assert replay.status_code == 200
    assert replay.json()["id"] == first["id"]
    assert replay.json()["packing_note"] == "Side gate"
    assert replay.json()["version"] == "2"


def test_same_key_with_reordered_json_keys_is_the_same_body(sandbox, stocked):
    body = order_body()
    reordered = dict(reversed(list(body.items())))
    assert post(sandbox, body, "key-1").status_code == 201
    assert post(sandbox, reordered, "key-1").status_code == 200


def test_same_key_different_body_is_422_reused(sandbox, stocked):
    post(sandbox, order_body(), "key-1")
    before = snapshot()
    response = post(sandbox, order_body(reference="F-OTHER"), "key-1")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert response.json()["error"]["field"] == "Idempotency-Key"
    assert snapshot() == before


@pytest.mark.parametrize("key", ["k" * 256, "has space", "tab\tkey", "ünïcode", ""])
def test_malformed_key_is_400_and_writes_nothing(sandbox, stocked, key):
    before = snapshot()
    response = post(sandbox, order_body(), key)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_idempotency_key"
    assert response.json()["error"]["field"] == "Idempotency-Key"
    assert snapshot() == before


def test_key_of_255_characters_is_accepted(sandbox, stocked):
    assert post(sandbox, order_body(), "k" * 255).status_code == 201


def test_keys_are_scoped_to_tenant_and_environment(sandbox, live, other_sandbox, stocked, other_tenant):
    stock_set(other_tenant, "sandbox", "WIDGET-BLUE-M", "wh_syd_1", 10)
    ids = {post(api, order_body(), "shared-key").json()["id"] for api in (sandbox, live, other_sandbox)}
    assert len(ids) == 3
    assert IdempotencyKey.objects.filter(key="shared-key").count() == 3


def test_refused_request_does_not_burn_the_key(sandbox, stocked):
    bad = post(sandbox, order_body(warehouse_id="wh_zzz"), "key-1")
    assert bad.status_code == 422
    assert IdempotencyKey.objects.count() == 0
    good = post(sandbox, order_body(), "key-1")
    assert good.status_code == 201


def test_key_is_kept_at_least_24_hours(sandbox, stocked):
    post(sandbox, order_body(), "key-1")
    row = IdempotencyKey.objects.get()
    assert row.expires_at - row.created_at >= timedelta(hours=24)
    assert idempotency_keys_purge(now=timezone.now() + timedelta(hours=23)) == 0
    assert post(sandbox, order_body(), "key-1").status_code == 200
    assert idempotency_keys_purge(now=timezone.now() + timedelta(hours=25)) == 1


def test_in_progress_key_with_different_body_is_422_reused(tenant):
    IdempotencyKey.objects.create(
        tenant=tenant,
        environment="sandbox",
        endpoint="things.create",
        key="busy",
        request_hash="0" * 64,
        locked_at=timezone.now(),
        expires_at=timezone.now() + timedelta(hours=24),
    )
    calls = []
    with pytest.raises(ValidationFailed) as excinfo:
        idempotent(
            tenant=tenant,
            environment="sandbox",
            endpoint="things.create",
            key="busy",
            body={},
            produce=lambda: calls.append(1) or (201, {}),
            wait_seconds=0.1,
        )
    assert excinfo.value.code == "idempotency_key_reused"
    assert calls == []


def test_in_progress_key_same_body_gets_409_in_progress(tenant):
    from fulfillment.idempotency import request_hash

    IdempotencyKey.objects.create(
        tenant=tenant,
        environment="sandbox",
        endpoint="things.create",
        key="busy",
        request_hash=request_hash({"a": 1}),
        locked_at=timezone.now(),
        expires_at=timezone.now() + timedelta(hours=24),
    )
    with pytest.raises(Exception) as excinfo:
        idempotent(
            tenant=tenant,
            environment="sandbox",
            endpoint="things.create",
            key="busy",
            body={"a": 1},
            produce=lambda: (201, {}),
            wait_seconds=0.1,
        )
    assert excinfo.value.code == "idempotency_key_in_progress"
    assert excinfo.value.status_code == 409


def test_stale_in_progress_key_is_taken_over(tenant):
    from fulfillment.idempotency import request_hash

    long_ago = timezone.now() - timedelta(hours=1)
    IdempotencyKey.objects.create(
        tenant=tenant,
        environment="sandbox",
        endpoint="things.create",
        key="orphan",
        request_hash=request_hash({"a": 1}),
        locked_at=long_ago,
        expires_at=long_ago + timedelta(hours=24),
    )
    result = idempotent(
        tenant=tenant,
        environment="sandbox",
        endpoint="things.create",
        key="orphan",
        body={"a": 1},
        produce=lambda: (201, {"id": "thing_1"}),
    )
    assert (result.status, result.body, result.replayed) == (201, {"id": "thing_1"}, False)
    assert IdempotencyKey.objects.get().state == "completed"


def test_mechanism_is_reusable_for_other_endpoints(tenant):
    calls = []

    def produce():
        calls.append(1)
        return 201, {"id": f"ib_{len(calls)}"}

    kwargs = {"tenant": tenant, "environment": "sandbox", "key": "k1", "body": {"x": 1}, "produce": produce}
    first = idempotent(endpoint="inbound.create", **kwargs)
    again = idempotent(endpoint="inbound.create", **kwargs)
    other = idempotent(endpoint="returns.create", **kwargs)
    assert (first.status, first.body) == (201, {"id": "ib_1"})
    assert (again.status, again.body, again.replayed, again.headers) == (
        200,
        {"id": "ib_1"},
        True,
        {"Idempotent-Replayed": "true"},
    )
    assert other.body == {"id": "ib_2"}
    no_key = idempotent(endpoint="inbound.create", **{**kwargs, "key": None})
    assert no_key.body == {"id": "ib_3"}


def test_failed_produce_releases_the_key(tenant):
    def boom():
        raise ValidationFailed("nope", code="bad", field="x")

    with pytest.raises(ValidationFailed):
        idempotent(tenant=tenant, environment="sandbox", endpoint="e", key="k", body={}, produce=boom)
    assert IdempotencyKey.objects.count() == 0
