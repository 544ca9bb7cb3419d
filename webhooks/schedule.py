"""Periodic tasks of the webhooks app (merged into beat by config/celery.py).

The dispatcher runs every few seconds so a retry or a delivery whose wake-up
was lost (broker down at commit) goes out shortly after it is due.
"""

from __future__ import annotations

from datetime import timedelta

BEAT_SCHEDULE = {
    "webhooks-dispatch": {
        "task": "webhooks.deliveries_dispatch",
        "schedule": timedelta(seconds=5),
        "options": {"expires": 30},
    },
    "webhooks-housekeeping": {
        "task": "webhooks.housekeeping",
        "schedule": timedelta(hours=1),
        "options": {"expires": 1800},
    },
}
