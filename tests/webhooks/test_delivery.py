"""Delivery through a real HTTP receiver on loopback: signing, retries, failures, separation."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from tenants.models import Notice
from tests.factories import make_tenant
from tests.webhooks.conftest import Reply
from webhooks import services
from webhooks.models import Delivery, DeliveryAttempt, Event

pytestmark = pytest.mark.django_db

SHIPMENT = {"id": "shp_1", "status": "shipped", "parcels": [{"tracking_number": "TN1"}], "note": "Zoë ✓ <&>"}


def subscribe(tenant, url, environment="sandbox", events=("shipment.created",)):
    return services.endpoint_create(tenant=tenant, environment=environment, url=url, events=list(events))


def emit(tenant, environment="sandbox", event_type="shipment.created", data=None):
    with transaction.atomic():
        return services.event_emit(tenant=tenant, environment=environment, event_type=event_type, data=data or SHIPMENT)


def independent_verify(header: str, raw: bytes, secret: str, tolerance: int = 300) -> bool:
    """The receiver-side check written from the spec, not from webhooks.signing."""
    items = [p.split("=", 1) for p in header.split(",")]
    t = [v for k, v in items if k == "t"]
    sigs = [v for k, v in items if k == "v1"]
    if len(t) != 1 or abs(time.time() - int(t[0])) > tolerance:
        return False
    expected = hmac.new(secret.encode(), t[0].encode() + b"." + raw, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, s) for s in sigs)


def test_delivery_is_signed_over_raw_bytes_and_verifies_independently(tenant, receiver):
    created = subscribe(tenant, receiver.url)
    event = emit(tenant)

    assert services.deliveries_dispatch() == 1

    (request,) = receiver.requests
    assert request.body == event.payload.encode()
    assert independent_verify(request.headers["X-Webhook-Signature"], request.body, created.secret)
    assert not independent_verify(request.headers["X-Webhook-Signature"], request.body + b" ", created.secret)
    assert not independent_verify(request.headers["X-Webhook-Signature"], request.body, "whsec_wrong")
    assert request.headers["X-Webhook-Id"] == event.public_id
    assert request.headers["User-Agent"] == "FulfillmentPortal-Webhooks/1.0"
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.body)
    assert body["event_id"] == event.public_id
    assert body["event_type"] == "shipment.created"
    assert body["data"] == SHIPMENT
    assert set(body) == {"event_id", "event_type", "created_at", "data"}
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)


def test_500_then_200_gives_two_attempts_with_same_event_id(tenant, receiver):
    subscribe(tenant, receiver.url)
    receiver.replies = [Reply(status=500, body=b"boom" * 400)]
    event = emit(tenant)
    start = timezone.now()

    services.deliveries_dispatch(now=start)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert start + timedelta(seconds=10) <= delivery.next_attempt_at <= start + timedelta(seconds=11)
    assert services.deliveries_dispatch(now=start + timedelta(seconds=5)) == 0  # not due yet

    services.deliveries_dispatch(now=delivery.next_attempt_at)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 2, 200)
    assert [r.headers["X-Webhook-Id"] for r in receiver.requests] == [event.public_id, event.public_id]
    assert receiver.requests[0].body == receiver.requests[1].body
    attempts = list(DeliveryAttempt.objects.order_by("id"))
    assert [a.status_code for a in attempts] == [500, 200]
    assert len(attempts[0].response_excerpt) == 1024  # first 1 KB of a 1.6 KB answer


def test_receiver_down_for_whole_schedule_fails_then_endpoint_disabled_with_notice_and_email(
    tenant, closed_port_url, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services.random, "uniform", lambda a, b: a)  # no jitter: an exact schedule
    tenant.billing_email = "ops@acme.example"
    tenant.save()
    endpoint = subscribe(tenant, closed_port_url).endpoint
    emit(tenant)
    delivery = Delivery.objects.get()
    start = delivery.next_attempt_at
    times = []
    while delivery.status == "pending":
        now = delivery.next_attempt_at
        times.append(now)
        services.deliveries_dispatch(now=now)
        delivery.refresh_from_db()

    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
    assert gaps[:5] == [10, 60, 300, 1800, 3600]
    assert set(gaps[4:]) == {3600}
    assert times[-1] - start <= timedelta(hours=24)
    assert len(times) == 28
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 28, None)
    assert DeliveryAttempt.objects.filter(delivery=delivery, error__startswith="connection error").count() == 28

    endpoint.refresh_from_db()
    assert endpoint.enabled is True
    assert services.endpoints_disable_failing(now=start + timedelta(days=4)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.endpoints_disable_failing(now=start + timedelta(days=5, seconds=1)) == 1

    endpoint.refresh_from_db()
    assert endpoint.enabled is False
    assert endpoint.disabled_reason == "Every delivery failed for 5 days."
    notice = Notice.objects.get(tenant=tenant, kind="webhook_disabled")
    assert notice.environment == "sandbox"
    assert endpoint.public_id in notice.message
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ops@acme.example"]
    # A disabled endpoint gets no new deliveries.
    emit(tenant)
    assert Delivery.objects.count() == 1


def test_a_success_resets_the_failing_run(tenant, receiver):
    endpoint = subscribe(tenant, receiver.url).endpoint
    receiver.replies = [Reply(status=503)]
    emit(tenant)
    now = timezone.now()
    services.deliveries_dispatch(now=now)
    endpoint.refresh_from_db()
    assert endpoint.failing_since == now
    services.deliveries_dispatch(now=now + timedelta(minutes=1))
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None
    assert services.endpoints_disable_failing(now=now + timedelta(days=6)) == 0


def test_410_gone_disables_endpoint_at_once(tenant, receiver, django_capture_on_commit_callbacks):
    endpoint = subscribe(tenant, receiver.url).endpoint
    receiver.replies = [Reply(status=410)]
    emit(tenant)
    emit(tenant)
    services.deliveries_dispatch(batch_size=1, max_batches=1)

    endpoint.refresh_from_db()
    assert endpoint.enabled is False
    assert endpoint.disabled_reason == "The receiver answered 410 Gone."
    assert sorted(Delivery.objects.values_list("status", flat=True)) == ["failed", "failed"]
    assert Notice.objects.filter(tenant=tenant, kind="webhook_disabled").count() == 1
    assert services.deliveries_dispatch() == 0
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(tenant, receiver, status):
    subscribe(tenant, receiver.url)
    receiver.replies = [Reply(status=status, headers={"Retry-After": "120"})]
    emit(tenant)
    now = timezone.now()
    services.deliveries_dispatch(now=now)
    delivery = Delivery.objects.get()
    assert delivery.next_attempt_at == now + timedelta(seconds=120)


def test_redirect_is_not_followed_and_is_a_failure(tenant, receiver_factory):
    public = receiver_factory()
    internal = receiver_factory()
    public.default = Reply(status=302, headers={"Location": internal.url})
    subscribe(tenant, public.url)
    emit(tenant)

    services.deliveries_dispatch()

    assert len(public.requests) == 1
    assert internal.requests == []
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 302)
    assert delivery.last_error == "redirect not followed"


def test_secret_roll_sends_two_signatures_during_overlap(tenant, receiver):
    created = subscribe(tenant, receiver.url)
    old_secret = created.secret
    new_secret = services.endpoint_roll_secret(endpoint=created.endpoint)
    assert new_secret != old_secret
    emit(tenant)
    services.deliveries_dispatch()

    header = receiver.requests[0].headers["X-Webhook-Signature"]
    assert header.count("v1=") == 2
    assert independent_verify(header, receiver.requests[0].body, old_secret)
    assert independent_verify(header, receiver.requests[0].body, new_secret)

    # After the overlap only the new secret signs.
    endpoint = created.endpoint
    endpoint.refresh_from_db()
    assert endpoint.previous_secret_expires_at > timezone.now() + timedelta(hours=23)
    endpoint.previous_secret_expires_at = timezone.now() - timedelta(seconds=1)
    endpoint.save()
    emit(tenant)
    services.deliveries_dispatch()
    header = receiver.requests[1].headers["X-Webhook-Signature"]
    assert header.count("v1=") == 1
    assert independent_verify(header, receiver.requests[1].body, new_secret)
    assert not independent_verify(header, receiver.requests[1].body, old_secret)


def test_secret_is_encrypted_at_rest(tenant, receiver):
    created = subscribe(tenant, receiver.url)
    created.endpoint.refresh_from_db()
    assert created.secret.startswith("whsec_")
    assert created.secret not in created.endpoint.secret_encrypted
    assert services.endpoint_signing_secrets(created.endpoint) == [created.secret]


def test_sandbox_live_and_tenant_separation(tenant, receiver_factory):
    other = make_tenant("globex")
    sandbox_rx, live_rx, other_rx, unsubscribed_rx = (receiver_factory() for _ in range(4))
    subscribe(tenant, sandbox_rx.url, "sandbox")
    subscribe(tenant, live_rx.url, "live")
    subscribe(other, other_rx.url, "sandbox")
    subscribe(tenant, unsubscribed_rx.url, "sandbox", events=["order.cancelled"])

    sandbox_event = emit(tenant, "sandbox")
    live_event = emit(tenant, "live")
    other_event = emit(other, "sandbox")
    services.deliveries_dispatch()

    assert [r.headers["X-Webhook-Id"] for r in sandbox_rx.requests] == [sandbox_event.public_id]
    assert [r.headers["X-Webhook-Id"] for r in live_rx.requests] == [live_event.public_id]
    assert [r.headers["X-Webhook-Id"] for r in other_rx.requests] == [other_event.public_id]
    assert unsubscribed_rx.requests == []


def test_emit_writes_event_and_deliveries_in_callers_transaction(tenant, receiver, django_assert_num_queries):
    subscribe(tenant, receiver.url)
    subscribe(tenant, receiver.url)
    # endpoints, event INSERT, one bulk INSERT of deliveries
    with transaction.atomic(), django_assert_num_queries(3):
        services.event_emit(tenant=tenant, environment="sandbox", event_type="shipment.created", data=SHIPMENT)
    assert Delivery.objects.count() == 2

    with pytest.raises(RuntimeError), transaction.atomic():
        services.event_emit(tenant=tenant, environment="sandbox", event_type="shipment.created", data=SHIPMENT)
        raise RuntimeError("the caller's change fails")
    assert Event.objects.count() == 1
    assert Delivery.objects.count() == 2


def test_emit_queues_a_wakeup_only_after_commit(tenant, receiver, wakeups, django_capture_on_commit_callbacks):
    subscribe(tenant, receiver.url)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        emit(tenant)
        assert wakeups == []
    assert len(callbacks) == 1
    assert len(wakeups) == 1


def test_one_wakeup_per_transaction_however_many_events(tenant, receiver, wakeups, django_capture_on_commit_callbacks):
    subscribe(tenant, receiver.url)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        for _ in range(3):
            services.event_emit(tenant=tenant, environment="sandbox", event_type="shipment.created", data={})
    assert len(callbacks) == 1
    assert len(wakeups) == 1
    assert Delivery.objects.count() == 3


def test_emit_refuses_unknown_event_type(tenant):
    with pytest.raises(ValueError):
        services.event_emit(tenant=tenant, environment="sandbox", event_type="shipment.exploded", data={})
    assert Event.objects.count() == 0


def test_one_slow_endpoint_does_not_hold_up_another(tenant, receiver_factory):
    slow, fast = receiver_factory(), receiver_factory()
    fast_arrived = threading.Event()
    order = []

    # The slow receiver answers only once the fast one has been called (or after 5 s):
    # if deliveries were sent one after another, the fast one would arrive only after it.
    released = threading.Event()
    slow.default = Reply(status=200, wait_for=released)
    subscribe(tenant, slow.url)
    subscribe(tenant, fast.url)
    emit(tenant)

    def watch():
        slow.got_request.wait(10)
        order.append("slow-received")
        if fast.got_request.wait(5):
            order.append("fast-received-while-slow-in-flight")
            fast_arrived.set()
        released.set()

    watcher = threading.Thread(target=watch)
    watcher.start()
    services.deliveries_dispatch()
    watcher.join()
    assert fast_arrived.is_set()
    assert order == ["slow-received", "fast-received-while-slow-in-flight"]
    assert list(Delivery.objects.values_list("status", flat=True)) == ["succeeded", "succeeded"]


def test_old_events_are_purged_after_retention_unless_still_pending(tenant, receiver, settings):
    settings.WEBHOOK_EVENT_RETENTION_DAYS = 30
    subscribe(tenant, receiver.url)
    old_done = emit(tenant)
    old_pending = emit(tenant)
    recent = emit(tenant)
    long_ago = timezone.now() - timedelta(days=31)
    Event.objects.filter(pk__in=[old_done.pk, old_pending.pk]).update(created_at=long_ago)
    Delivery.objects.exclude(event=old_pending).update(status="succeeded", next_attempt_at=None)

    assert services.events_purge_expired() == 1

    assert set(Event.objects.values_list("public_id", flat=True)) == {old_pending.public_id, recent.public_id}
    assert Delivery.objects.count() == 2


def test_admin_lists_and_redelivers(tenant, receiver, admin_client):
    subscribe(tenant, receiver.url)
    emit(tenant)
    delivery = Delivery.objects.get()
    Delivery.objects.filter(pk=delivery.pk).update(status="failed", next_attempt_at=None)
    for path in ("/admin/webhooks/webhookendpoint/", "/admin/webhooks/event/", "/admin/webhooks/delivery/"):
        assert admin_client.get(path).status_code == 200
    assert admin_client.get(f"/admin/webhooks/delivery/{delivery.pk}/change/").status_code == 200
    response = admin_client.post(
        "/admin/webhooks/delivery/", {"action": "redeliver", "_selected_action": [delivery.pk]}
    )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    services.deliveries_dispatch()
    assert len(receiver.requests) == 1


def test_admin_disable_and_enable_actions(tenant, receiver, admin_client):
    endpoint = subscribe(tenant, receiver.url).endpoint
    admin_client.post("/admin/webhooks/webhookendpoint/", {"action": "disable", "_selected_action": [endpoint.pk]})
    endpoint.refresh_from_db()
    assert endpoint.enabled is False
    admin_client.post("/admin/webhooks/webhookendpoint/", {"action": "enable", "_selected_action": [endpoint.pk]})
    endpoint.refresh_from_db()
    assert endpoint.enabled is True


def test_a_backlog_to_one_endpoint_does_not_fill_the_batch(tenant, receiver_factory, settings):
    settings.WEBHOOK_DISPATCH_PER_ENDPOINT = 2
    busy, other = receiver_factory(), receiver_factory()
    subscribe(tenant, busy.url)
    for _ in range(10):
        emit(tenant)
    subscribe(tenant, other.url)
    late = emit(tenant)  # the newest event, behind the busy endpoint's backlog

    assert services.deliveries_dispatch(batch_size=4, max_batches=1) == 3

    assert len(busy.requests) == 2
    assert [r.headers["X-Webhook-Id"] for r in other.requests] == [late.public_id]


def test_a_failing_endpoint_backs_off_as_a_whole(tenant, closed_port_url, receiver, settings):
    settings.WEBHOOK_DISPATCH_PER_ENDPOINT = 1
    dead = subscribe(tenant, closed_port_url).endpoint
    subscribe(tenant, receiver.url)
    for _ in range(5):
        emit(tenant)
    now = timezone.now()

    services.deliveries_dispatch(now=now)

    dead_deliveries = Delivery.objects.filter(endpoint=dead)
    assert sum(d.attempts for d in dead_deliveries) == 1  # one attempt, then the rest wait for its retry
    assert len({d.next_attempt_at for d in dead_deliveries}) == 1
    assert dead_deliveries[0].next_attempt_at > now + timedelta(seconds=9)
    assert len(receiver.requests) == 5  # the healthy endpoint got everything meanwhile
