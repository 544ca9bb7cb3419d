"""Billing's periodic tasks, merged into the beat schedule by config/celery.py."""

from celery.schedules import crontab
from django.conf import settings

BEAT_SCHEDULE = {
    "billing-usage-flush": {"task": "billing.usage_flush", "schedule": 60.0},
    "billing-nightly": {
        "task": "billing.nightly",
        "schedule": crontab(minute=5, hour=settings.BILLING_NIGHTLY_HOUR_UTC),
    },
}
