"""The outbox under failure: broker down at commit, a worker killed mid-delivery, many concurrent workers."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from celery import Task
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.utils import timezone

from tenants.models import Notice
from tests.webhooks.conftest import Reply
from webhooks import services, tasks
from webhooks.models import Delivery, DeliveryAttempt, Event


def subscribe(tenant, url, events=("shipment.created",)):
    return services.endpoint_create(tenant=tenant, environment="sandbox", url=url, events=list(events)).endpoint


@pytest.mark.django_db(transaction=True)
def test_broker_down_at_commit_still_commits_and_sweeper_delivers(tenant, receiver, monkeypatch):
    from config.celery import app

    subscribe(tenant, receiver.url)
    task = tasks.deliveries_dispatch_task._get_current_object()
    real_apply_async = Task.apply_async.__get__(task)
    monkeypatch.setattr(tasks.deliveries_dispatch_task, "apply_async", real_apply_async)
    # Nothing listens on port 1. Celery prefers the environment variable over its config when set (as in CI).
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(app, "_pool", None)
    # A producer pool left by an earlier test would still hold a connection to the old broker.
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    monkeypatch.setattr(services, "_broker_down_until", 0.0)
    try:
        with transaction.atomic():
            Notice.objects.create(tenant=tenant, kind="the_change", message="the caller's own write")
            event = services.event_emit(
                tenant=tenant, environment="sandbox", event_type="shipment.created", data={"id": "shp_1"}
            )
        # The wake-up failed (and is now skipped for a while) but the change and the event committed.
        assert services._broker_down_until > time.monotonic()
    finally:
        app._pool = None
    assert Notice.objects.filter(kind="the_change").count() == 1
    assert Delivery.objects.get().status == "pending"
    assert receiver.requests == []

    services.deliveries_dispatch()  # what beat's periodic dispatcher runs

    assert [r.headers["X-Webhook-Id"] for r in receiver.requests] == [event.public_id]
    assert Delivery.objects.get().status == "succeeded"


@pytest.mark.django_db(transaction=True)
def test_wakeup_failure_of_any_kind_is_swallowed(tenant, receiver, monkeypatch):
    subscribe(tenant, receiver.url)

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.deliveries_dispatch_task, "apply_async", broken)
    with transaction.atomic():
        services.event_emit(tenant=tenant, environment="sandbox", event_type="shipment.created", data={})
    assert Event.objects.count() == 1
    services.deliveries_dispatch()
    assert len(receiver.requests) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_delivery_is_redelivered_after_lease(tenant, receiver):
    release = threading.Event()
    receiver.replies = [Reply(status=200, wait_for=release)]  # the first POST stalls
    subscribe(tenant, receiver.url)
    with transaction.atomic():
        event = services.event_emit(tenant=tenant, environment="sandbox", event_type="shipment.created", data={})

    db = connection.settings_dict
    env = {
        **os.environ,
        "DEBUG": "1",
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "1",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
    }
    env.pop("TEST_DB_NAME", None)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "webhooks_dispatch"],
        cwd=django_settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert receiver.got_request.wait(60), "the worker never sent"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
        release.set()

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert delivery.next_attempt_at > timezone.now()  # still leased by the dead worker
    assert services.deliveries_dispatch() == 0  # nobody may take it before the lease ends

    services.deliveries_dispatch(now=delivery.next_attempt_at + timedelta(seconds=1))

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 1)
    assert [r.headers["X-Webhook-Id"] for r in receiver.requests] == [event.public_id, event.public_id]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_4000_events_through_concurrent_dispatchers_each_delivered_exactly_once(tenant, receiver_factory):
    receivers = [receiver_factory()]
    for rx in receivers:
        subscribe(tenant, rx.url)
    total = 4000
    with transaction.atomic():
        ids = [
            services.event_emit(
                tenant=tenant, environment="sandbox", event_type="shipment.created", data={"n": n}
            ).public_id
            for n in range(total)
        ]
    assert Delivery.objects.count() == total

    errors = []

    def worker():
        try:
            while services.deliveries_dispatch(batch_size=20, concurrency=4):
                pass
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)

    assert errors == []
    for rx in receivers:
        counts = collections.Counter(r.headers["X-Webhook-Id"] for r in rx.requests)
        assert set(counts) == set(ids)
        assert max(counts.values()) == 1
    odd = list(Delivery.objects.exclude(status="succeeded", attempts=1).values("status", "attempts", "last_error"))
    assert odd == []
    assert Delivery.objects.filter(status="succeeded", attempts=1).count() == total
    assert DeliveryAttempt.objects.count() == total
