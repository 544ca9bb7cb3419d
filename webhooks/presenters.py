"""Output shapes of the webhook API: subscriptions, deliveries with attempts, events."""

from __future__ import annotations

import orjson

from config.api.renderers import format_datetime


def webhook_data(endpoint, *, secret: str | None = None) -> dict:
    """A subscription. The secret appears only in the create and roll-secret responses."""
    data = {
        "id": endpoint.public_id,
        "url": endpoint.url,
        "events": list(endpoint.events),
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason or None,
        "created_at": format_datetime(endpoint.created_at),
        "updated_at": format_datetime(endpoint.updated_at),
    }
    if secret is not None:
        data["secret"] = secret
    return data


def attempt_data(attempt) -> dict:
    return {
        "attempted_at": format_datetime(attempt.attempted_at),
        "status_code": attempt.status_code,
        "error": attempt.error or None,
        "latency_ms": attempt.latency_ms,
        "response_excerpt": attempt.response_excerpt,
    }


def delivery_data(delivery) -> dict:
    """A delivery of one event to one endpoint. Callers select `event` and `endpoint` and prefetch `attempt_log`."""
    return {
        "id": delivery.public_id,
        "webhook_id": delivery.endpoint.public_id,
        "event_id": delivery.event.public_id,
        "event_type": delivery.event.event_type,
        "status": delivery.status,
        "attempt_count": delivery.attempts,
        "next_attempt_at": format_datetime(delivery.next_attempt_at)
        if delivery.status == delivery.Status.PENDING
        else None,
        "last_status_code": delivery.last_status_code,
        "delivered_at": format_datetime(delivery.delivered_at),
        "created_at": format_datetime(delivery.created_at),
        "updated_at": format_datetime(delivery.updated_at),
        "attempts": [attempt_data(a) for a in delivery.attempt_log.all()],
    }


def event_data(event) -> dict:
    """Exactly the body a delivery of this event carries."""
    return orjson.loads(event.payload)
