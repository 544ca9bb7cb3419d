"""Webhook services: the outbox entry point, subscriptions, and the dispatcher.

`event_emit` is called by every state-changing service inside its own
transaction: the Event row and one Delivery row per subscribed endpoint are
written with the change, so an event exists if and only if the change
committed. After commit a Celery task is queued only as a wake-up; the
periodic dispatcher (webhooks/schedule.py) picks up every due delivery anyway,
so a broker outage delays delivery but never loses it.

Delivery state and retry times live in the database (`next_attempt_at`), not in
Celery countdowns. The dispatcher claims due rows (`FOR UPDATE SKIP LOCKED` on
PostgreSQL, a conditional UPDATE elsewhere), moves `next_attempt_at` to the
end of a lease, commits, and only then sends — no transaction is open during
the HTTP call. A worker killed mid-send leaves the row to become due again when
the lease ends: at-least-once, never silence.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone

from config.api.errors import Conflict, ValidationFailed
from config.api.renderers import dumps, format_datetime
from config.ids import new_public_id
from tenants.models import Environment, Membership, Notice, Tenant
from tenants.services import audit_record, notice_raise
from webhooks import crypto, signing
from webhooks.delivery import AttemptResult, http_post
from webhooks.models import EVENT_TYPES, Delivery, DeliveryAttempt, Event, WebhookEndpoint
from webhooks.ssrf import UnsafeTarget, target_check, url_parse

logger = logging.getLogger("webhooks")

SUBSCRIBABLE_EVENT_TYPES = EVENT_TYPES


# --- The outbox ----------------------------------------------------------------


# While the broker is known to be down, skip wake-ups for a while instead of making every
# committing request wait for a connection timeout; the periodic dispatcher delivers meanwhile.
BROKER_BACKOFF_SECONDS = 30.0
_broker_down_until = 0.0


def _wake_dispatcher() -> None:
    """Queue the wake-up task. A broker failure is logged, not raised: the periodic dispatcher covers it."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        logger.warning("webhook wake-up skipped (broker unavailable recently); the periodic dispatcher will deliver")
        return
    try:
        from webhooks.tasks import deliveries_dispatch_task

        deliveries_dispatch_task.apply_async(retry=False)
    except Exception:  # noqa: BLE001 - any broker/transport error must not reach the committed caller
        _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        logger.warning("webhook wake-up not queued (broker unavailable); the periodic dispatcher will deliver")


def _wake_after_commit() -> None:
    """One wake-up per transaction, however many events it emits."""
    pending = getattr(connection, "run_on_commit", None)
    # Django drops callbacks registered in a savepoint that rolls back, so the list
    # reflects exactly what will run at commit.
    if pending and any(func is _wake_dispatcher for _sids, func, *_rest in pending):
        return
    transaction.on_commit(_wake_dispatcher)


def _deliveries_create(event: Event, endpoints: list[WebhookEndpoint], now: datetime) -> list[Delivery]:
    retry_until = now + settings.WEBHOOK_RETRY_WINDOW
    return Delivery.objects.bulk_create(
        [
            Delivery(
                public_id=new_public_id("dlv"),
                event=event,
                endpoint=endpoint,
                next_attempt_at=now,
                retry_until=retry_until,
            )
            for endpoint in endpoints
        ]
    )


def event_emit(*, tenant: Tenant, environment: str, event_type: str, data: dict) -> Event:
    """Record an event in the caller's transaction so it exists iff the change commits.

    `data` is exactly what the matching GET endpoint returns for the object now.
    Writes one Event row and one bulk INSERT of deliveries (one per enabled
    endpoint of this tenant AND environment subscribed to `event_type`), then
    queues a wake-up after commit.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    if environment not in Environment.values:
        raise ValueError(f"unknown environment {environment!r}")
    if not connection.in_atomic_block:
        with transaction.atomic():
            return event_emit(tenant=tenant, environment=environment, event_type=event_type, data=data)
    now = timezone.now()
    public_id = new_public_id("evt")
    # Built once: every retry, redelivery and replay sends these exact bytes.
    payload = dumps(
        {"event_id": public_id, "event_type": event_type, "created_at": format_datetime(now), "data": data}
    ).decode()
    event = Event.objects.create(
        tenant=tenant, environment=environment, public_id=public_id, event_type=event_type, payload=payload
    )
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(tenant=tenant, environment=environment, enabled=True).only(
            "id", "events"
        )
        if event_type in endpoint.events
    ]
    if endpoints:
        _deliveries_create(event, endpoints, now)
        _wake_after_commit()
    return event


# --- Subscriptions -----------------------------------------------------------------


@dataclass(frozen=True)
class EndpointWithSecret:
    """An endpoint together with the signing secret, at the only moments the secret is shown."""

    endpoint: WebhookEndpoint
    secret: str


def _event_types_validate(event_types: list[str], field: str = "events") -> list[str]:
    if not event_types:
        raise ValidationFailed("Subscribe to at least one event type.", code="missing_field", field=field)
    out: list[str] = []
    for index, event_type in enumerate(event_types):
        if event_type not in SUBSCRIBABLE_EVENT_TYPES:
            raise ValidationFailed(
                f"Unknown event type {event_type!r}. Known: {', '.join(SUBSCRIBABLE_EVENT_TYPES)}.",
                code="invalid_event_type",
                field=f"{field}[{index}]",
            )
        if event_type not in out:
            out.append(event_type)
    return out


def _url_validate(url: str, environment: str) -> str:
    try:
        scheme, _host, _port = url_parse(url)
        if environment == Environment.LIVE and settings.WEBHOOK_REQUIRE_HTTPS_LIVE and scheme != "https":
            raise ValidationFailed("Live webhooks must use https.", code="https_required", field="url")
        target_check(url)
    except UnsafeTarget as exc:
        raise ValidationFailed(exc.message, code=exc.code, field="url") from exc
    return url


def endpoint_create(
    *, tenant: Tenant, environment: str, url: str, events: list[str], actor_label: str = ""
) -> EndpointWithSecret:
    """Subscribe a URL to event types. Returns the endpoint and its new secret (shown only now)."""
    event_types = _event_types_validate(events)
    url = _url_validate(url, environment)
    secret = crypto.secret_generate()
    with transaction.atomic():
        count = WebhookEndpoint.objects.filter(tenant=tenant, environment=environment).count()
        if count >= settings.WEBHOOK_MAX_ENDPOINTS_PER_ENVIRONMENT:
            raise Conflict(
                f"At most {settings.WEBHOOK_MAX_ENDPOINTS_PER_ENVIRONMENT} webhooks per environment.",
                code="webhook_limit_reached",
            )
        endpoint = WebhookEndpoint.objects.create(
            tenant=tenant,
            environment=environment,
            url=url,
            events=event_types,
            secret_encrypted=crypto.secret_encrypt(secret),
        )
        audit_record(
            tenant=tenant, action="webhook.created", target=endpoint.public_id, actor_label=actor_label, url=url
        )
    return EndpointWithSecret(endpoint=endpoint, secret=secret)


def endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    events: list[str] | None = None,
    enabled: bool | None = None,
    actor_label: str = "",
) -> WebhookEndpoint:
    """Change a subscription's URL, event types or enabled flag (re-enabling clears the failure run)."""
    changes: dict = {}
    if events is not None:
        changes["events"] = _event_types_validate(events)
    if url is not None:
        changes["url"] = _url_validate(url, endpoint.environment)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        for name, value in changes.items():
            setattr(endpoint, name, value)
        endpoint.save()
        audit_record(
            tenant=endpoint.tenant,
            action="webhook.updated",
            target=endpoint.public_id,
            actor_label=actor_label,
            fields=sorted(changes) + (["enabled"] if enabled is not None else []),
        )
    if enabled is True and not endpoint.enabled:
        endpoint = endpoint_enable(endpoint=endpoint)
    elif enabled is False and endpoint.enabled:
        endpoint = endpoint_disable(endpoint=endpoint, reason="Disabled by the client.", notify=False)
    return endpoint


def endpoint_delete(*, endpoint: WebhookEndpoint, actor_label: str = "") -> None:
    """Remove a subscription with its deliveries and attempts (events stay in the event log)."""
    with transaction.atomic():
        audit_record(
            tenant=endpoint.tenant,
            action="webhook.deleted",
            target=endpoint.public_id,
            actor_label=actor_label,
            url=endpoint.url,
        )
        endpoint.delete()


def endpoint_roll_secret(*, endpoint: WebhookEndpoint, actor_label: str = "", now: datetime | None = None) -> str:
    """Issue a new secret; the current one stays valid for WEBHOOK_SECRET_ROLL_OVERLAP (24 h). Returns it."""
    now = now or timezone.now()
    secret = crypto.secret_generate()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        endpoint.previous_secret_encrypted = endpoint.secret_encrypted
        endpoint.previous_secret_expires_at = now + settings.WEBHOOK_SECRET_ROLL_OVERLAP
        endpoint.secret_encrypted = crypto.secret_encrypt(secret)
        endpoint.save()
        audit_record(
            tenant=endpoint.tenant, action="webhook.secret_rolled", target=endpoint.public_id, actor_label=actor_label
        )
    return secret


def endpoint_signing_secrets(endpoint: WebhookEndpoint, now: datetime | None = None) -> list[str]:
    """The secrets valid now: the current one first, then the previous one during the roll overlap."""
    now = now or timezone.now()
    secrets = [crypto.secret_decrypt(endpoint.secret_encrypted)]
    if (
        endpoint.previous_secret_encrypted
        and endpoint.previous_secret_expires_at
        and endpoint.previous_secret_expires_at > now
    ):
        secrets.append(crypto.secret_decrypt(endpoint.previous_secret_encrypted))
    return secrets


def _recipients(tenant: Tenant) -> list[str]:
    emails = [tenant.billing_email] if tenant.billing_email else []
    emails += list(
        Membership.objects.filter(
            tenant=tenant, role__in=[Membership.Role.OWNER, Membership.Role.DEVELOPER], user__is_active=True
        )
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    return sorted(set(emails))


def endpoint_disable(
    *, endpoint: WebhookEndpoint, reason: str, notify: bool = True, now: datetime | None = None
) -> WebhookEndpoint:
    """Stop sending to an endpoint; its pending deliveries fail. With `notify`, tell the tenant (notice + email)."""
    now = now or timezone.now()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update(of=("self",)).select_related("tenant").get(pk=endpoint.pk)
        if not endpoint.enabled:
            return endpoint
        endpoint.enabled = False
        endpoint.disabled_reason = reason[:200]
        endpoint.disabled_at = now
        endpoint.save()
        Delivery.objects.filter(endpoint=endpoint, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.FAILED, next_attempt_at=None, claim_token=None, last_error="endpoint disabled"
        )
        if notify:
            message = f"Webhook {endpoint.public_id} ({endpoint.url}) was disabled: {reason}"
            notice_raise(
                tenant=endpoint.tenant,
                kind="webhook_disabled",
                level=Notice.Level.CRITICAL,
                environment=endpoint.environment,
                message=message[:500],
                dedup_key=f"webhook_disabled:{endpoint.public_id}:{int(now.timestamp())}",
            )
            recipients = _recipients(endpoint.tenant)
            if recipients:
                transaction.on_commit(
                    lambda: send_mail(
                        subject=f"Webhook disabled: {endpoint.url}",
                        message=message + "\n\nFix the receiver, then re-enable it in the portal or with "
                        'PATCH /v1/webhooks/{id} {"enabled": true}; replay missed events with '
                        "POST /v1/webhooks/{id}/replay.",
                        from_email=None,
                        recipient_list=recipients,
                        fail_silently=True,
                    )
                )
        logger.info("webhook %s disabled: %s", endpoint.public_id, reason)
    return endpoint


def endpoint_enable(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Resume sending to an endpoint (missed events can be replayed)."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        endpoint.enabled = True
        endpoint.disabled_reason = ""
        endpoint.disabled_at = None
        endpoint.failing_since = None
        endpoint.save()
    return endpoint


def _require_enabled(endpoint: WebhookEndpoint) -> None:
    if not endpoint.enabled:
        raise Conflict("This webhook is disabled; enable it first.", code="webhook_disabled")


def endpoint_send_test(*, endpoint: WebhookEndpoint) -> Delivery:
    """Emit a `ping` event and deliver it to this endpoint only."""
    _require_enabled(endpoint)
    now = timezone.now()
    with transaction.atomic():
        public_id = new_public_id("evt")
        payload = dumps(
            {
                "event_id": public_id,
                "event_type": "ping",
                "created_at": format_datetime(now),
                "data": {"webhook_id": endpoint.public_id, "message": "Test delivery from the fulfillment portal."},
            }
        ).decode()
        event = Event.objects.create(
            tenant_id=endpoint.tenant_id,
            environment=endpoint.environment,
            public_id=public_id,
            event_type="ping",
            payload=payload,
        )
        (delivery,) = _deliveries_create(event, [endpoint], now)
        _wake_after_commit()
    return delivery


def delivery_redeliver(*, delivery: Delivery, now: datetime | None = None) -> Delivery:
    """Send a delivery again (same event id and bytes), with a fresh retry window."""
    _require_enabled(delivery.endpoint)
    now = now or timezone.now()
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.PENDING,
            next_attempt_at=now,
            retry_until=now + settings.WEBHOOK_RETRY_WINDOW,
            claim_token=None,
            updated_at=now,
        )
        _wake_after_commit()
    delivery.refresh_from_db()
    return delivery


def events_replay(
    *,
    endpoint: WebhookEndpoint,
    since: datetime,
    until: datetime,
    event_types: list[str] | None = None,
    now: datetime | None = None,
) -> int:
    """Re-send the environment's events created in [since, until) to one endpoint, with their original ids.

    `event_types` defaults to the endpoint's subscription. Returns how many events were queued.
    """
    _require_enabled(endpoint)
    if until <= since:
        raise ValidationFailed("until must be after since.", code="invalid_range", field="until")
    types = _event_types_validate(event_types) if event_types is not None else list(endpoint.events)
    now = now or timezone.now()
    events = Event.objects.filter(
        tenant_id=endpoint.tenant_id,
        environment=endpoint.environment,
        created_at__gte=since,
        created_at__lt=until,
        event_type__in=types,
    )
    count = events.count()
    if count > settings.WEBHOOK_REPLAY_MAX_EVENTS:
        raise ValidationFailed(
            f"That range holds {count} events; replay at most {settings.WEBHOOK_REPLAY_MAX_EVENTS} at a time.",
            code="replay_too_large",
            field="since",
        )
    with transaction.atomic():
        Delivery.objects.filter(endpoint=endpoint, event__in=events).update(
            status=Delivery.Status.PENDING,
            next_attempt_at=now,
            retry_until=now + settings.WEBHOOK_RETRY_WINDOW,
            claim_token=None,
            updated_at=now,
        )
        missing = list(events.exclude(deliveries__endpoint=endpoint).order_by("created_at", "id"))
        retry_until = now + settings.WEBHOOK_RETRY_WINDOW
        Delivery.objects.bulk_create(
            [
                Delivery(
                    public_id=new_public_id("dlv"),
                    event=event,
                    endpoint=endpoint,
                    next_attempt_at=now,
                    retry_until=retry_until,
                )
                for event in missing
            ],
            batch_size=500,
        )
        if count:
            _wake_after_commit()
    return count


# --- The dispatcher -----------------------------------------------------------------


@dataclass
class _Send:
    delivery: Delivery
    token: uuid.UUID
    url: str = ""
    body: bytes = b""
    headers: dict | None = None
    skip_reason: str = ""


def _fair_pick(candidates: list[tuple[int, int]], limit: int, per_endpoint: int) -> list[int]:
    """At most `per_endpoint` deliveries of one endpoint per batch, so a backlog to one slow
    endpoint cannot fill every sending slot."""
    taken: dict[int, int] = {}
    picked = []
    for delivery_id, endpoint_id in candidates:
        if taken.get(endpoint_id, 0) < per_endpoint:
            taken[endpoint_id] = taken.get(endpoint_id, 0) + 1
            picked.append(delivery_id)
            if len(picked) >= limit:
                break
    return picked


def _deliveries_claim(*, now: datetime, limit: int) -> tuple[uuid.UUID, list[Delivery]]:
    """Claim up to `limit` due deliveries for this worker by moving them to the end of a lease."""
    token = uuid.uuid4()
    lease_end = now + timedelta(seconds=settings.WEBHOOK_CLAIM_LEASE_SECONDS)
    per_endpoint = settings.WEBHOOK_DISPATCH_PER_ENDPOINT
    due = Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now).order_by("next_attempt_at")
    window = limit * 4
    if connection.vendor == "postgresql":
        with transaction.atomic():
            # Rows another dispatcher holds are skipped, not waited for; unpicked candidates
            # are released at commit.
            candidates = list(due.select_for_update(skip_locked=True).values_list("id", "endpoint_id")[:window])
            ids = _fair_pick(candidates, limit, per_endpoint)
            if ids:
                Delivery.objects.filter(id__in=ids).update(next_attempt_at=lease_end, claim_token=token)
    else:
        # No SKIP LOCKED: the conditional UPDATE only takes rows still due, so two
        # workers racing for the same candidates each get a disjoint set.
        ids = _fair_pick(list(due.values_list("id", "endpoint_id")[:window]), limit, per_endpoint)
        if ids:
            Delivery.objects.filter(id__in=ids, status=Delivery.Status.PENDING, next_attempt_at__lte=now).update(
                next_attempt_at=lease_end, claim_token=token
            )
    if not ids:
        return token, []
    claimed = list(
        Delivery.objects.filter(id__in=ids, claim_token=token)
        .select_related("event", "endpoint")
        .order_by("next_attempt_at", "id")
    )
    return token, claimed


def _prepare(delivery: Delivery, token: uuid.UUID) -> _Send:
    send = _Send(delivery=delivery, token=token)
    endpoint = delivery.endpoint
    if not endpoint.enabled:
        send.skip_reason = "endpoint disabled"
        return send
    body = delivery.event.payload.encode()
    timestamp = int(time.time())
    send.url = endpoint.url
    send.body = body
    send.headers = {
        "X-Webhook-Signature": signing.signature_header(endpoint_signing_secrets(endpoint), timestamp, body),
        "X-Webhook-Id": delivery.event.public_id,
        "X-Webhook-Event": delivery.event.event_type,
    }
    return send


def _retry_delay(attempts: int, result: AttemptResult) -> float:
    if result.status_code in (429, 503) and result.retry_after is not None:
        return float(max(1, result.retry_after))
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    base = schedule[min(attempts, len(schedule)) - 1]
    # A little jitter so a recovered receiver is not hit by every retry in the same second.
    return base * random.uniform(1.0, 1.1)


def _attempt_record(send: _Send, result: AttemptResult, now: datetime) -> None:
    """Log the attempt and move the delivery on (success, retry time, or failed). Idempotent per claim."""
    gone = False
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(pk=send.delivery.pk).first()
        if delivery is None:  # the endpoint was deleted meanwhile
            return
        DeliveryAttempt.objects.create(
            delivery=delivery,
            attempted_at=now,
            status_code=result.status_code,
            error=result.error[:200],
            latency_ms=result.latency_ms,
            response_excerpt=result.excerpt,
            succeeded=result.succeeded,
        )
        if delivery.claim_token != send.token or delivery.status != Delivery.Status.PENDING:
            # Our lease ran out and another worker took over (or someone reset it): keep only the log.
            return
        delivery.attempts += 1
        delivery.last_status_code = result.status_code
        delivery.last_error = result.error[:200]
        delivery.claim_token = None
        if result.succeeded:
            delivery.status = Delivery.Status.SUCCEEDED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
        elif result.status_code == 410:
            delivery.status = Delivery.Status.FAILED
            delivery.next_attempt_at = None
            gone = True
        else:
            next_at = now + timedelta(seconds=_retry_delay(delivery.attempts, result))
            if next_at > delivery.retry_until:
                delivery.status = Delivery.Status.FAILED
                delivery.next_attempt_at = None
            else:
                delivery.next_attempt_at = next_at
        delivery.save()
        endpoints = WebhookEndpoint.objects.filter(pk=delivery.endpoint_id)
        if result.succeeded:
            endpoints.filter(failing_since__isnull=False).update(failing_since=None)
        else:
            endpoints.filter(failing_since__isnull=True).update(failing_since=now)
            if delivery.next_attempt_at is not None:
                # Back the whole endpoint off: its other due deliveries wait for this retry
                # instead of each spending a sending slot on a receiver that just failed.
                Delivery.objects.filter(
                    endpoint_id=delivery.endpoint_id, status=Delivery.Status.PENDING, next_attempt_at__lte=now
                ).exclude(pk=delivery.pk).update(next_attempt_at=delivery.next_attempt_at)
    if gone:
        endpoint_disable(
            endpoint=send.delivery.endpoint, reason="The receiver answered 410 Gone.", notify=True, now=now
        )


def _skip_record(send: _Send, now: datetime) -> None:
    Delivery.objects.filter(pk=send.delivery.pk, claim_token=send.token, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.FAILED, next_attempt_at=None, claim_token=None, last_error=send.skip_reason
    )


def deliveries_dispatch(
    *,
    now: datetime | None = None,
    batch_size: int | None = None,
    concurrency: int | None = None,
    max_batches: int | None = None,
) -> int:
    """Send every due delivery, batch by batch, until none is due (or `max_batches`). Returns attempts made.

    Each batch is claimed in a short transaction, then sent concurrently (one
    thread per delivery, up to `concurrency`, each bounded by the 10 s
    timeout) so one slow endpoint holds up at most its own delivery, then
    recorded. `now` may be given to simulate time (tests, replays of a backlog).
    """
    batch_size = batch_size or settings.WEBHOOK_DISPATCH_BATCH_SIZE
    concurrency = concurrency or settings.WEBHOOK_DISPATCH_CONCURRENCY
    fixed_now = now
    sent = 0
    batches = 0
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="webhook-send") as pool:
        while max_batches is None or batches < max_batches:
            claim_time = fixed_now or timezone.now()
            token, claimed = _deliveries_claim(now=claim_time, limit=batch_size)
            if not claimed:
                break
            batches += 1
            sends = [_prepare(delivery, token) for delivery in claimed]
            to_post = [s for s in sends if not s.skip_reason]
            # Only HTTP runs in the threads; every database write stays on this thread.
            results = list(
                pool.map(lambda s: http_post(url=s.url, body=s.body, headers=s.headers or {}), to_post)
                if len(to_post) > 1 and concurrency > 1
                else (http_post(url=s.url, body=s.body, headers=s.headers or {}) for s in to_post)
            )
            record_time = fixed_now or timezone.now()
            for send in sends:
                if send.skip_reason:
                    _skip_record(send, record_time)
            for send, result in zip(to_post, results, strict=True):
                _attempt_record(send, result, record_time)
                sent += 1
    return sent


# --- Housekeeping ---------------------------------------------------------------------


def endpoints_disable_failing(*, now: datetime | None = None) -> int:
    """Disable endpoints whose every attempt has failed for WEBHOOK_DISABLE_AFTER_FAILING_DAYS; tell the tenant."""
    now = now or timezone.now()
    days = settings.WEBHOOK_DISABLE_AFTER_FAILING_DAYS
    cutoff = now - timedelta(days=days)
    disabled = 0
    for endpoint in WebhookEndpoint.objects.filter(enabled=True, failing_since__lte=cutoff):
        endpoint_disable(endpoint=endpoint, reason=f"Every delivery failed for {days} days.", notify=True, now=now)
        disabled += 1
    return disabled


def events_purge_expired(*, now: datetime | None = None) -> int:
    """Delete events older than WEBHOOK_EVENT_RETENTION_DAYS that have nothing left to deliver."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.WEBHOOK_EVENT_RETENTION_DAYS)
    old = Event.objects.filter(created_at__lt=cutoff).exclude(deliveries__status=Delivery.Status.PENDING)
    ids = list(old.values_list("id", flat=True)[:5000])
    if not ids:
        return 0
    with transaction.atomic():
        DeliveryAttempt.objects.filter(delivery__event_id__in=ids).delete()
        Delivery.objects.filter(event_id__in=ids).delete()
        deleted, _ = Event.objects.filter(id__in=ids).delete()
    return len(ids) if deleted else 0
