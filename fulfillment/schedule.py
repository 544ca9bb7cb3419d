"""Periodic tasks of the fulfillment app (merged into the beat schedule by config/celery.py)."""

from __future__ import annotations

BEAT_SCHEDULE = {
    # Sandbox auto-ship delays are in seconds, so sweep often; an idle sweep is one small query.
    "fulfillment-sandbox-auto-ship": {"task": "fulfillment.sandbox_auto_ship_sweep", "schedule": 15.0},
    # Idempotency keys are promised for at least 24 h; purging hourly keeps the table small.
    "fulfillment-idempotency-keys-purge": {"task": "fulfillment.idempotency_keys_purge", "schedule": 3600.0},
}
