"""The Celery app. Broker from settings: filesystem (embedded), Redis or AMQP.

Each app may declare periodic tasks in `<app>/schedule.py` as a dict named
BEAT_SCHEDULE; they are merged here so no app edits another's schedule.
"""

from __future__ import annotations

import importlib
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("fulfillment")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_APPS_WITH_SCHEDULES = ("tenants", "fulfillment", "webhooks", "billing")


@app.on_after_finalize.connect
def _merge_app_schedules(sender, **kwargs):
    schedule = dict(sender.conf.beat_schedule or {})
    for name in _APPS_WITH_SCHEDULES:
        try:
            module = importlib.import_module(f"{name}.schedule")
        except ModuleNotFoundError as exc:
            if exc.name != f"{name}.schedule":
                raise
            continue
        schedule.update(getattr(module, "BEAT_SCHEDULE", {}))
    sender.conf.beat_schedule = schedule
