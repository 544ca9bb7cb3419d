"""Webhook delivery: the dispatcher's sustained rate against a sign-and-POST floor, and commit-to-receipt p95.

Throughput: N events are committed first; then this process acts as the one
worker and runs `deliveries_dispatch()` until nothing is due. The floor sends
the same stored payload bytes, signed the same way, with the same HTTP client
(`webhooks.delivery.http_post`) and the same thread-pool concurrency, but with
no claiming or recording. Latency: a real Celery worker (with beat) runs
while this process commits events at a fixed rate, each in its own
transaction; the receiver timestamps each event id.
"""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from benchmarks.common import BENCH_VAR, Result, celery_worker, not_measured, percentile, sized

SAMPLE_DATA = {
    "id": "shp_bench",
    "order_id": "ord_bench",
    "order_number": "SO-1",
    "status": "shipped",
    "warehouse_id": "wh_syd_1",
    "shipped_at": "2026-07-02T22:04:11Z",
    "created_at": "2026-07-02T22:04:11Z",
    "updated_at": "2026-07-02T22:04:11Z",
    "cost": {"amount": "12.50", "currency": "AUD"},
    "voided": False,
    "parcels": [
        {
            "tracking_number": "BT1",
            "tracking_url": "https://auspost.com.au/track/BT1",
            "carrier": "auspost",
            "service": "EXP",
            "weight": {"value": 1.25, "unit": "kg"},
        }
    ],
    "items": [{"sku": "WIDGET-BLUE-M", "quantity": 2}],
}


def _emit_many(tenant, count: int) -> None:
    from django.db import transaction

    from webhooks.services import event_emit

    with transaction.atomic():
        for _ in range(count):
            event_emit(tenant=tenant, environment="sandbox", event_type="shipment.created", data=SAMPLE_DATA)


def run(log=print) -> list[Result]:
    try:
        from webhooks import delivery, services, signing
        from webhooks.models import Delivery, Event, WebhookEndpoint
    except ImportError as exc:
        return [not_measured("Webhook delivery", f"webhooks app incomplete ({exc})", "≥ 50 % of floor")]
    from django.conf import settings
    from django.db import connection

    from benchmarks.receiver import receiver
    from config.celery import app
    from tenants.models import Tenant

    name = "Webhook delivery"
    count = sized("BENCH_WEBHOOK_EVENTS", 2000, 200)
    rate = sized("BENCH_WEBHOOK_RATE", 100, 100)
    seconds = sized("BENCH_WEBHOOK_SECONDS", 30, 5)
    tenant, _ = Tenant.objects.get_or_create(slug="bench-webhooks", defaults={"name": "Bench webhooks"})
    WebhookEndpoint.objects.filter(tenant=tenant).delete()
    results: list[Result] = []
    with receiver(BENCH_VAR / "receiver-webhooks.log") as rx:
        created = services.endpoint_create(
            tenant=tenant, environment="sandbox", url=f"{rx.url}/tput", events=["shipment.created"]
        )
        endpoint, secret = created.endpoint, created.secret

        # --- sustained throughput: dispatcher vs floor, alternated -------------------------
        disp_rates, floor_rates = [], []
        concurrency = settings.WEBHOOK_DISPATCH_CONCURRENCY
        for _round in range(2):
            Delivery.objects.filter(endpoint=endpoint).delete()
            _emit_many(tenant, count)
            started = time.perf_counter()
            sent = 0
            while Delivery.objects.filter(endpoint=endpoint, status=Delivery.Status.PENDING).exists():
                sent += services.deliveries_dispatch()
            elapsed = time.perf_counter() - started
            disp_rates.append(count / elapsed)

            bodies = [
                e.payload.encode()
                for e in Event.objects.filter(deliveries__endpoint=endpoint).only("payload").order_by("id")
            ]
            floor_url = f"{rx.url}/floor"

            def floor_send(body: bytes, url=floor_url) -> object:
                header = signing.signature_header([secret], int(time.time()), body)
                return delivery.http_post(url=url, body=body, headers={"X-Webhook-Signature": header})

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=concurrency) as pool:
                floor_results = list(pool.map(floor_send, bodies))
            floor_rates.append(len(bodies) / (time.perf_counter() - started))
            assert all(r.succeeded for r in floor_results), "floor POSTs failed"
        receipts = rx.receipts()
        delivered_ok = len({r.event_id for r in receipts if r.path == "/tput"})
        disp, floor = statistics.median(disp_rates), statistics.median(floor_rates)
        log(f"  dispatcher {disp_rates} /s, floor {floor_rates} /s, distinct delivered {delivered_ok}")
        results.append(
            Result(
                f"{name}: sustained rate vs floor",
                f"{disp:.0f} deliveries/s vs floor {floor:.0f}/s ({count} events × 2 rounds)",
                f"{disp / floor * 100:.0f} % of floor",
                "≥ 50 % of floor",
                disp / floor >= 0.5,
                note=f"one process, WEBHOOK_DISPATCH_CONCURRENCY={concurrency}, batch "
                f"{settings.WEBHOOK_DISPATCH_BATCH_SIZE}; floor = sign + same http_post, same pool. The dispatcher "
                "also claims each batch in a transaction and records every attempt in its own transaction on one "
                "thread (lock, attempt row, delivery update, endpoint update): that bookkeeping is what limits it",
            )
        )

        # --- commit-to-receipt at a fixed rate with a real Celery worker -------------------
        from django.db import transaction

        services.endpoint_update(endpoint=endpoint, url=f"{rx.url}/lat")
        Delivery.objects.filter(endpoint=endpoint).delete()
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge("celery")
        committed: dict[str, float] = {}
        connection.close()
        with celery_worker(concurrency=1, name="webhooks"):
            deadline = time.time() + 60
            while time.time() < deadline and not app.control.ping(timeout=1):
                pass  # wait until the worker answers, so its boot time is not counted as latency
            interval = 1.0 / rate
            next_at = time.perf_counter()
            end = next_at + seconds
            while time.perf_counter() < end:
                with transaction.atomic():
                    event = services.event_emit(
                        tenant=tenant, environment="sandbox", event_type="shipment.created", data=SAMPLE_DATA
                    )
                committed[event.public_id] = time.time()
                next_at += interval
                pause = next_at - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
            actual_rate = len(committed) / seconds
            deadline = time.time() + 60
            while time.time() < deadline:
                got = {r.event_id for r in rx.receipts() if r.path == "/lat"}
                if committed.keys() <= got:
                    break
                time.sleep(0.5)
        receipts = [r for r in rx.receipts() if r.path == "/lat" and r.event_id in committed]
        first_receipt: dict[str, float] = {}
        for r in receipts:
            first_receipt.setdefault(r.event_id, r.at)
        latencies = [first_receipt[e] - committed[e] for e in committed if e in first_receipt]
        lost = len(committed) - len(latencies)
        connection.close()
    if not latencies:
        results.append(not_measured(f"{name}: commit-to-receipt", "no event reached the receiver"))
        return results
    p50, p95 = percentile(latencies, 50) * 1000, percentile(latencies, 95) * 1000
    log(f"  commit-to-receipt p50 {p50:.0f} ms, p95 {p95:.0f} ms, lost {lost}")
    results.append(
        Result(
            f"{name}: commit-to-receipt at {rate}/s",
            f"p95 {p95:.0f} ms (p50 {p50:.0f} ms, max {max(latencies) * 1000:.0f} ms) over {len(committed)} events",
            f"{actual_rate:.0f} events/s achieved",
            "every event delivered",
            lost == 0,
            note=f"{lost} not received within 60 s; 1 Celery worker (prefork, concurrency 1) + beat",
        )
    )
    return results
