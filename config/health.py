"""GET /healthz: 200 when the database (and a configured broker) answer, 503 otherwise."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import JsonResponse


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone()[0] == 1
    except Exception:  # noqa: BLE001 - any failure means unhealthy
        return False


def _broker_ok() -> bool | None:
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://") or settings.CELERY_TASK_ALWAYS_EAGER:
        return None
    try:
        from config.celery import app

        with app.connection_for_write(url) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # noqa: BLE001
        return False


def healthz(request):
    database = _database_ok()
    broker = _broker_ok()
    healthy = database and broker is not False
    body = {"status": "ok" if healthy else "unavailable", "database": database}
    if broker is not None:
        body["broker"] = broker
    return JsonResponse(body, status=200 if healthy else 503)
