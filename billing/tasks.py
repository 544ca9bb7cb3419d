"""Thin Celery tasks for billing: the per-minute usage flush and the nightly run."""

from __future__ import annotations

from datetime import date, timedelta

from celery import shared_task
from django.utils import timezone

from billing import services


@shared_task(name="billing.usage_flush")
def usage_flush_task() -> dict:
    """Flush the metering accumulator into hourly rollups (safe to run twice or after a failure)."""
    result = services.usage_flush()
    return {"applied": result.applied, "already_applied": result.already_applied, "rows": result.rows}


@shared_task(name="billing.nightly")
def billing_nightly_task(day: str | None = None) -> dict:
    """Flush, then bill the previous UTC day (or `day`, YYYY-MM-DD)."""
    services.usage_flush()
    target = date.fromisoformat(day) if day else timezone.now().date() - timedelta(days=1)
    result = services.billing_run_day(day=target)
    return {"day": target.isoformat(), "issued": result.invoices_issued, "alerts": result.alerts}
