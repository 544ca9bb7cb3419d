"""The /v1/webhooks and /v1/events API: shapes, scoping, refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from config.api.renderers import format_datetime
from tenants.models import AuditLogEntry
from webhooks import services
from webhooks.models import Delivery, DeliveryAttempt, Event, WebhookEndpoint

pytestmark = pytest.mark.django_db

URL = "https://erp.example.com/hooks"


@pytest.fixture(autouse=True)
def _public_dns(monkeypatch):
    """erp.example.com resolves to a public address; nothing here calls it."""
    import socket

    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host.endswith("example.com"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port or 443))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def create(api, url=URL, events=("shipment.created", "shipment.updated")):
    response = api.post("/v1/webhooks", {"url": url, "events": list(events)})
    assert response.status_code == 201, response.content
    return response.json()


def emit(tenant, environment="sandbox", event_type="shipment.created", data=None):
    with transaction.atomic():
        return services.event_emit(
            tenant=tenant, environment=environment, event_type=event_type, data=data or {"id": "shp_1"}
        )


def test_create_returns_secret_once(sandbox):
    body = create(sandbox)
    assert body["id"].startswith("whk_")
    assert body["secret"].startswith("whsec_")
    assert body["url"] == URL
    assert body["events"] == ["shipment.created", "shipment.updated"]
    assert body["enabled"] is True
    assert body["disabled_reason"] is None
    endpoint = WebhookEndpoint.objects.get(public_id=body["id"])
    assert (endpoint.tenant_id, endpoint.environment) == (sandbox.issued.connection.tenant_id, "sandbox")
    assert AuditLogEntry.objects.filter(action="webhook.created", target=body["id"]).count() == 1

    got = sandbox.get(f"/v1/webhooks/{body['id']}")
    assert got.status_code == 200
    assert "secret" not in got.json()
    assert got.json()["id"] == body["id"]

    listed = sandbox.get("/v1/webhooks").json()
    assert [w["id"] for w in listed["data"]] == [body["id"]]
    assert "secret" not in listed["data"][0]
    assert listed["pagination"]["has_more"] is False


def test_create_deduplicates_event_types(sandbox):
    body = create(sandbox, events=["ping", "ping", "order.cancelled"])
    assert body["events"] == ["ping", "order.cancelled"]


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ({"url": URL, "events": ["shipment.created", "shipment.exploded"]}, "invalid_event_type", "events[1]"),
        ({"url": URL, "events": []}, "missing_field", "events"),
        ({"url": URL}, "missing_field", "events"),
        ({"events": ["ping"]}, "missing_field", "url"),
        ({"url": "ftp://erp.example.com/x", "events": ["ping"]}, "invalid_url", "url"),
        ({"url": "not a url", "events": ["ping"]}, "invalid_url", "url"),
        ({"url": "https://erp.example.com/\nx", "events": ["ping"]}, "invalid_characters", "url"),
    ],
)
def test_create_refuses_bad_input_with_field(sandbox, payload, code, field):
    response = sandbox.post("/v1/webhooks", payload)
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert WebhookEndpoint.objects.count() == 0


def test_live_requires_https_outside_debug(live, settings):
    settings.WEBHOOK_REQUIRE_HTTPS_LIVE = True
    response = live.post("/v1/webhooks", {"url": "http://erp.example.com/hooks", "events": ["ping"]})
    assert response.status_code == 422
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == ("https_required", "url")
    assert WebhookEndpoint.objects.count() == 0
    assert live.post("/v1/webhooks", {"url": URL, "events": ["ping"]}).status_code == 201


def test_limit_of_endpoints_per_environment(sandbox, settings):
    settings.WEBHOOK_MAX_ENDPOINTS_PER_ENVIRONMENT = 1
    create(sandbox)
    response = sandbox.post("/v1/webhooks", {"url": URL, "events": ["ping"]})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "webhook_limit_reached"
    assert WebhookEndpoint.objects.count() == 1


def test_patch_changes_url_events_and_enabled(sandbox):
    body = create(sandbox)
    response = sandbox.patch(
        f"/v1/webhooks/{body['id']}", {"url": "https://erp.example.com/v2", "events": ["order.cancelled"]}
    )
    assert response.status_code == 200
    assert response.json()["url"] == "https://erp.example.com/v2"
    assert response.json()["events"] == ["order.cancelled"]

    response = sandbox.patch(f"/v1/webhooks/{body['id']}", {"enabled": False})
    assert response.json()["enabled"] is False
    assert response.json()["disabled_reason"] == "Disabled by the client."
    response = sandbox.patch(f"/v1/webhooks/{body['id']}", {"enabled": True})
    assert response.json()["enabled"] is True
    assert response.json()["disabled_reason"] is None


def test_patch_refuses_bad_input_and_changes_nothing(sandbox):
    body = create(sandbox)
    response = sandbox.patch(f"/v1/webhooks/{body['id']}", {"url": "https://erp.example.com/v2", "events": ["nope"]})
    assert response.status_code == 422
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == ("invalid_event_type", "events[0]")
    endpoint = WebhookEndpoint.objects.get(public_id=body["id"])
    assert (endpoint.url, endpoint.events) == (URL, ["shipment.created", "shipment.updated"])


def test_delete_removes_subscription_but_keeps_events(sandbox):
    body = create(sandbox)
    emit(sandbox.issued.connection.tenant)
    response = sandbox.delete(f"/v1/webhooks/{body['id']}")
    assert response.status_code == 204
    assert WebhookEndpoint.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert Event.objects.count() == 1
    assert sandbox.get(f"/v1/webhooks/{body['id']}").status_code == 404


def test_roll_secret_returns_new_secret_and_keeps_old_for_24h(sandbox):
    body = create(sandbox)
    response = sandbox.post(f"/v1/webhooks/{body['id']}/roll-secret")
    assert response.status_code == 200
    new = response.json()["secret"]
    assert new.startswith("whsec_") and new != body["secret"]
    endpoint = WebhookEndpoint.objects.get(public_id=body["id"])
    assert services.endpoint_signing_secrets(endpoint) == [new, body["secret"]]
    assert services.endpoint_signing_secrets(endpoint, timezone.now() + timedelta(hours=24, seconds=1)) == [new]
    assert response.json()["previous_secret_expires_at"] == format_datetime(endpoint.previous_secret_expires_at)


def test_test_ping_creates_a_delivery_to_this_endpoint_only(sandbox, wakeups, django_capture_on_commit_callbacks):
    body = create(sandbox)
    other = create(sandbox, events=["ping"])
    with django_capture_on_commit_callbacks(execute=True):
        response = sandbox.post(f"/v1/webhooks/{body['id']}/test")
    assert response.status_code == 202
    data = response.json()
    assert data["event_type"] == "ping"
    assert data["status"] == "pending"
    assert data["webhook_id"] == body["id"]
    assert Delivery.objects.filter(endpoint__public_id=other["id"]).count() == 0
    assert len(wakeups) == 1


def test_deliveries_list_shows_attempts(sandbox, closed_port_url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    body = create(sandbox, url=closed_port_url)
    event = emit(sandbox.issued.connection.tenant)
    services.deliveries_dispatch()
    response = sandbox.get(f"/v1/webhooks/{body['id']}/deliveries")
    assert response.status_code == 200
    (item,) = response.json()["data"]
    assert item["event_id"] == event.public_id
    assert item["event_type"] == "shipment.created"
    assert item["status"] == "pending"
    assert item["attempt_count"] == 1
    assert len(item["attempts"]) == 1
    assert item["attempts"][0]["status_code"] is None
    assert item["attempts"][0]["error"].startswith("connection error")


def test_deliveries_list_uses_fixed_number_of_queries(
    sandbox, closed_port_url, settings, django_assert_max_num_queries
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    body = create(sandbox, url=closed_port_url)
    for _ in range(5):
        emit(sandbox.issued.connection.tenant)
    services.deliveries_dispatch()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        sandbox.get(f"/v1/webhooks/{body['id']}/deliveries", {"limit": 1})
    with CaptureQueriesContext(connection) as large:
        sandbox.get(f"/v1/webhooks/{body['id']}/deliveries", {"limit": 5})
    assert len(small.captured_queries) == len(large.captured_queries)


def test_redeliver_resets_a_failed_delivery(sandbox):
    body = create(sandbox)
    emit(sandbox.issued.connection.tenant)
    delivery = Delivery.objects.get()
    Delivery.objects.filter(pk=delivery.pk).update(status="failed", next_attempt_at=None, attempts=28)
    response = sandbox.post(f"/v1/webhooks/{body['id']}/deliveries/{delivery.public_id}/redeliver")
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert delivery.retry_until > timezone.now() + timedelta(hours=23)
    assert sandbox.post(f"/v1/webhooks/{body['id']}/deliveries/dlv_nope/redeliver").status_code == 404


def test_replay_resends_range_with_same_event_ids(sandbox):
    tenant = sandbox.issued.connection.tenant
    before = emit(tenant)  # before the subscription: no delivery yet
    body = create(sandbox)
    during = emit(tenant)
    emit(tenant, event_type="order.cancelled")  # not subscribed
    emit(tenant, environment="live")  # other environment
    Delivery.objects.update(status="succeeded", next_attempt_at=None)
    since = format_datetime(timezone.now() - timedelta(minutes=5))
    until = format_datetime(timezone.now() + timedelta(minutes=5))

    response = sandbox.post(f"/v1/webhooks/{body['id']}/replay", {"since": since, "until": until})

    assert response.status_code == 202
    assert response.json() == {"replayed": 2}
    pending = Delivery.objects.filter(endpoint__public_id=body["id"], status="pending")
    assert sorted(pending.values_list("event__public_id", flat=True)) == sorted([before.public_id, during.public_id])

    response = sandbox.post(
        f"/v1/webhooks/{body['id']}/replay", {"since": since, "until": until, "events": ["order.cancelled"]}
    )
    assert response.json() == {"replayed": 1}


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ({"until": "2026-01-01T00:00:00Z"}, "missing_field", "since"),
        ({"since": "2026-01-02T00:00:00", "until": "2026-01-03T00:00:00Z"}, "invalid_datetime", "since"),
        ({"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "invalid_range", "until"),
        (
            {"since": "2026-01-01T00:00:00Z", "until": "2026-01-02T00:00:00Z", "events": ["x.y"]},
            "invalid_event_type",
            "events[0]",
        ),
    ],
)
def test_replay_refuses_bad_input(sandbox, payload, code, field):
    body = create(sandbox)
    response = sandbox.post(f"/v1/webhooks/{body['id']}/replay", payload)
    assert response.status_code == 422
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (code, field)
    assert Delivery.objects.count() == 0


def test_disabled_webhook_refuses_test_and_replay(sandbox):
    body = create(sandbox)
    sandbox.patch(f"/v1/webhooks/{body['id']}", {"enabled": False})
    response = sandbox.post(f"/v1/webhooks/{body['id']}/test")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "webhook_disabled"
    assert Event.objects.count() == 0


# --- Events log --------------------------------------------------------------------------


def test_events_lists_every_event_of_the_environment(sandbox, live, other_sandbox):
    tenant = sandbox.issued.connection.tenant
    first = emit(tenant, data={"id": "shp_1", "version": 3})
    second = emit(tenant, event_type="order.cancelled")
    emit(tenant, environment="live")
    emit(other_sandbox.issued.connection.tenant)

    response = sandbox.get("/v1/events")
    assert response.status_code == 200
    data = response.json()["data"]
    assert [e["event_id"] for e in data] == [first.public_id, second.public_id]
    assert data[0]["data"] == {"id": "shp_1", "version": 3}
    assert data[0]["event_type"] == "shipment.created"

    filtered = sandbox.get("/v1/events", {"type": "order.cancelled"}).json()["data"]
    assert [e["event_id"] for e in filtered] == [second.public_id]
    assert len(live.get("/v1/events").json()["data"]) == 1


def test_events_refuses_unknown_type(sandbox):
    response = sandbox.get("/v1/events", {"type": "shipment.created,bogus"})
    assert response.status_code == 422
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == ("invalid_event_type", "type")


def test_events_paginates_with_cursor(sandbox):
    tenant = sandbox.issued.connection.tenant
    ids = [emit(tenant).public_id for _ in range(3)]
    page = sandbox.get("/v1/events", {"limit": 2}).json()
    assert [e["event_id"] for e in page["data"]] == ids[:2]
    assert page["pagination"]["has_more"] is True
    page2 = sandbox.get("/v1/events", {"limit": 2, "cursor": page["pagination"]["next_cursor"]}).json()
    assert [e["event_id"] for e in page2["data"]] == ids[2:]


# --- Authentication and scoping ----------------------------------------------------------

ROUTES = [
    ("get", "/v1/webhooks"),
    ("post", "/v1/webhooks"),
    ("get", "/v1/webhooks/{id}"),
    ("patch", "/v1/webhooks/{id}"),
    ("delete", "/v1/webhooks/{id}"),
    ("post", "/v1/webhooks/{id}/roll-secret"),
    ("get", "/v1/webhooks/{id}/deliveries"),
    ("post", "/v1/webhooks/{id}/test"),
    ("post", "/v1/webhooks/{id}/replay"),
    ("post", "/v1/webhooks/{id}/deliveries/{delivery}/redeliver"),
    ("get", "/v1/events"),
]


def _call(api, method, path):
    if method == "get":
        return api.get(path)
    if method == "delete":
        return api.delete(path)
    body = {"since": "2026-01-01T00:00:00Z", "until": "2026-01-02T00:00:00Z", "url": URL, "events": ["ping"]}
    return getattr(api, method)(path, body)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_anonymous_gets_401(anonymous, sandbox, method, path):
    body = create(sandbox)
    response = _call(anonymous, method, path.format(id=body["id"], delivery="dlv_x"))
    assert response.status_code == 401
    assert WebhookEndpoint.objects.count() == 1


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if "{id}" in r[1]])
@pytest.mark.parametrize("intruder", ["other_sandbox", "live"])
def test_other_tenant_or_environment_gets_404(request, sandbox, method, path, intruder):
    api = request.getfixturevalue(intruder)
    body = create(sandbox)
    emit(sandbox.issued.connection.tenant)
    delivery = Delivery.objects.get()
    before = list(WebhookEndpoint.objects.values_list("url", "events", "enabled", "secret_encrypted"))
    response = _call(api, method, path.format(id=body["id"], delivery=delivery.public_id))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "webhook_not_found"
    assert list(WebhookEndpoint.objects.values_list("url", "events", "enabled", "secret_encrypted")) == before
    assert Event.objects.count() == 1
    assert DeliveryAttempt.objects.count() == 0


def test_other_tenant_and_environment_see_no_webhooks_or_events(sandbox, live, other_sandbox):
    create(sandbox)
    emit(sandbox.issued.connection.tenant)
    for api in (live, other_sandbox):
        assert api.get("/v1/webhooks").json()["data"] == []
        assert api.get("/v1/events").json()["data"] == []
