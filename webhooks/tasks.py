"""Celery tasks of the webhooks app: thin wrappers over services.

A task message is only a wake-up: losing or duplicating one changes nothing,
because the database holds which deliveries are due.
"""

from __future__ import annotations

from celery import shared_task

from webhooks import services


@shared_task(name="webhooks.deliveries_dispatch", ignore_result=True)
def deliveries_dispatch_task() -> int:
    """Send what is due now (bounded, so a backlog is shared between beat ticks and workers)."""
    return services.deliveries_dispatch(max_batches=50)


@shared_task(name="webhooks.housekeeping", ignore_result=True)
def webhooks_housekeeping_task() -> dict:
    """Disable endpoints failing for days (and tell the tenant); purge events past retention."""
    return {
        "disabled": services.endpoints_disable_failing(),
        "purged": services.events_purge_expired(),
    }
