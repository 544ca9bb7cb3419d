"""Webhooks in the portal: create (secret shown once), edit events, disable/enable, roll, test, resend."""

from __future__ import annotations

import re

import pytest

from tests.portal.conftest import signed_in
from webhooks.models import Delivery, WebhookEndpoint
from webhooks.services import endpoint_create, endpoint_signing_secrets

pytestmark = pytest.mark.django_db

URL = "http://127.0.0.1:9/hooks"
SECRET_RE = re.compile(rb'id="new-secret" class="mono key-value" type="text" value="([^"]+)"')


@pytest.fixture
def endpoint(tenant, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    return endpoint_create(tenant=tenant, environment="live", url=URL, events=["order.created"]).endpoint


def test_create_shows_the_signing_secret_once(owner_client, tenant, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    response = owner_client.post("/webhooks/new/", {"url": URL, "events": ["order.created", "shipment.created"]})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"
    secret = SECRET_RE.search(response.content).group(1).decode()
    endpoint = WebhookEndpoint.objects.get(tenant=tenant, environment="live")
    assert endpoint.events == ["order.created", "shipment.created"]
    assert endpoint_signing_secrets(endpoint) == [secret]
    detail = owner_client.get(f"/webhooks/{endpoint.public_id}/")
    assert secret.encode() not in detail.content


def test_create_without_events_is_refused_and_writes_nothing(owner_client, tenant, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    response = owner_client.post("/webhooks/new/", {"url": URL})
    assert response.status_code == 200
    assert b"This field is required." in response.content
    assert not WebhookEndpoint.objects.filter(tenant=tenant).exists()


def test_create_refuses_a_private_target_when_not_allowed(owner_client, tenant, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    response = owner_client.post("/webhooks/new/", {"url": URL, "events": ["order.created"]})
    assert response.status_code == 200
    assert b'class="error"' in response.content
    assert not WebhookEndpoint.objects.filter(tenant=tenant).exists()


def test_edit_events(owner_client, endpoint):
    response = owner_client.post(f"/webhooks/{endpoint.public_id}/edit/", {"url": URL, "events": ["inventory.updated"]})
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.events == ["inventory.updated"]


def test_disable_and_enable(owner_client, endpoint):
    owner_client.post(f"/webhooks/{endpoint.public_id}/action/", {"action": "disable"})
    endpoint.refresh_from_db()
    assert endpoint.enabled is False
    assert b"Disabled" in owner_client.get(f"/webhooks/{endpoint.public_id}/").content
    owner_client.post(f"/webhooks/{endpoint.public_id}/action/", {"action": "enable"})
    endpoint.refresh_from_db()
    assert endpoint.enabled is True


def test_roll_secret_shows_the_new_one_once(owner_client, endpoint):
    old = endpoint_signing_secrets(endpoint)[0]
    response = owner_client.post(f"/webhooks/{endpoint.public_id}/action/", {"action": "roll_secret"})
    new = SECRET_RE.search(response.content).group(1).decode()
    endpoint.refresh_from_db()
    assert endpoint_signing_secrets(endpoint) == [new, old]


def test_send_test_creates_a_ping_delivery_that_appears_in_the_log_and_can_be_resent(owner_client, endpoint):
    owner_client.post(f"/webhooks/{endpoint.public_id}/action/", {"action": "send_test"})
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.event.event_type == "ping"
    page = owner_client.get(f"/webhooks/{endpoint.public_id}/")
    assert delivery.event.public_id.encode() in page.content
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED, next_attempt_at=None)
    response = owner_client.post(f"/webhooks/{endpoint.public_id}/deliveries/{delivery.public_id}/resend/")
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.next_attempt_at is not None


def test_send_test_to_a_disabled_endpoint_explains_and_sends_nothing(owner_client, endpoint):
    owner_client.post(f"/webhooks/{endpoint.public_id}/action/", {"action": "disable"})
    page = owner_client.post(f"/webhooks/{endpoint.public_id}/action/", {"action": "send_test"}, follow=True)
    assert b"enable it first" in page.content
    assert not Delivery.objects.filter(endpoint=endpoint).exists()


def test_delete(owner_client, endpoint):
    assert owner_client.post(f"/webhooks/{endpoint.public_id}/action/", {"action": "delete"}).status_code == 302
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_billing_member_cannot_see_or_change_webhooks(tenant, endpoint, billing_member):
    client = signed_in(billing_member)
    assert client.get("/webhooks/").status_code == 403
    assert client.post(f"/webhooks/{endpoint.public_id}/action/", {"action": "delete"}).status_code == 403
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


@pytest.mark.parametrize("path", ["", "edit/"])
def test_another_tenants_endpoint_is_not_found(endpoint, other_owner, path):
    client = signed_in(other_owner)
    assert client.get(f"/webhooks/{endpoint.public_id}/{path}").status_code == 404
    assert client.post(f"/webhooks/{endpoint.public_id}/action/", {"action": "delete"}).status_code == 404
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_an_endpoint_of_the_other_environment_is_not_found(owner, endpoint):
    assert signed_in(owner, "sandbox").get(f"/webhooks/{endpoint.public_id}/").status_code == 404


def test_disabled_endpoint_is_flagged_on_the_dashboard(owner_client, endpoint):
    owner_client.post(f"/webhooks/{endpoint.public_id}/action/", {"action": "disable"})
    assert b"Webhook endpoint disabled" in owner_client.get("/").content
