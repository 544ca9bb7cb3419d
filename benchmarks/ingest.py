"""Order ingest: POST /v1/orders with Idempotency-Keys from 16 clients against gunicorn, vs GET /v1/warehouses."""

from __future__ import annotations

import threading
import uuid

from benchmarks.common import Result, env_int, gunicorn, not_measured, percentile, route_allows, sized
from benchmarks.data import bench_connection, ensure_reference_data
from benchmarks.driver import Call, Outcome, drive
from benchmarks.payloads import ensure_catalogue, order_body


def _stats(outcomes: list[Outcome], wall: float) -> dict:
    secs = [o.seconds for o in outcomes]
    return {
        "n": len(outcomes),
        "rps": len(outcomes) / wall if wall else 0.0,
        "p50": percentile(secs, 50) * 1000,
        "p95": percentile(secs, 95) * 1000,
        "p99": percentile(secs, 99) * 1000,
        "5xx": sum(1 for o in outcomes if o.status >= 500 or o.status == 0),
    }


def run(log=print) -> list[Result]:
    from django.db import connection

    from fulfillment.models import Order
    from tenants.models import Tenant

    name = "Order ingest"
    clients = env_int("BENCH_CLIENTS", 16)
    workers = env_int("BENCH_WORKERS", 4)
    total = sized("BENCH_INGEST_REQUESTS", 4000, 320)
    ensure_reference_data()
    tenant, _ = Tenant.objects.get_or_create(slug="bench-ingest", defaults={"name": "Bench ingest"})
    bench = bench_connection(tenant, "live", name="bench ingest")
    have_orders = route_allows("POST", "/v1/orders")
    # A catalogue of BENCH_INGEST_SKUS products: orders spread over it as a real ERP's do, so the figure is
    # the ingest path and not 16 clients queueing on the row locks of a handful of hot SKUs.
    skus = [f"ING-{i:04d}" for i in range(env_int("BENCH_INGEST_SKUS", 200))]
    if have_orders:
        ensure_catalogue(tenant, "live", skus=skus)
    connection.close()

    results: list[Result] = []
    run_id = uuid.uuid4().hex[:8]
    with gunicorn(workers=workers, name="ingest") as server:
        per_client = max(1, total // clients)

        def warehouses(c: int, i: int):
            return Call("GET", "/v1/warehouses") if i < per_client else None

        drive(server.url, lambda c, i: warehouses(c, i) if i < 3 else None, clients=clients, key=bench.key)
        reads, read_wall = drive(server.url, warehouses, clients=clients, key=bench.key)
        read = _stats(reads, read_wall)
        log(f"  GET /v1/warehouses: {read['n']} in {read_wall:.1f}s, {read['rps']:.0f}/s, p50 {read['p50']:.1f} ms")
        if not have_orders:
            results.append(
                Result(
                    f"{name}: GET /v1/warehouses (baseline)",
                    f"{read['rps']:.0f} req/s, p50/p95/p99 {read['p50']:.1f}/{read['p95']:.1f}/{read['p99']:.1f} ms",
                    note=f"{clients} clients, {workers} sync workers; {read['5xx']} 5xx",
                    met=read["5xx"] == 0,
                    target="0 5xx",
                )
            )
            results.append(not_measured(f"{name}: POST /v1/orders", "POST /v1/orders does not exist yet"))
            return results

        first_bodies: dict[str, tuple[dict, str | None]] = {}
        replay_mismatch: list[str] = []
        lock = threading.Lock()

        def orders(c: int, i: int):
            if i >= per_client:
                return None
            n = f"{run_id}-{c}-{i}"
            return Call("POST", "/v1/orders", order_body(n, skus=skus), {"Idempotency-Key": f"idem-{n}"}, tag=n)

        def replay(c: int, outcome: Outcome):
            # Every tenth create is sent again with the same key, as an ERP retrying after a lost response.
            if outcome.call.tag.startswith("replay:"):
                n = outcome.call.tag.removeprefix("replay:")
                body = outcome.json() or {}
                with lock:
                    if body.get("id") != first_bodies.get(n, (None, None))[1]:
                        replay_mismatch.append(n)
                return None
            body = outcome.json() or {}
            with lock:
                first_bodies[outcome.call.tag] = (outcome.call.body, body.get("id"))
            if hash(outcome.call.tag) % 10 == 0:
                call = outcome.call
                return Call(call.method, call.path, call.body, call.headers, tag=f"replay:{call.tag}")
            return None

        writes, write_wall = drive(server.url, orders, clients=clients, key=bench.key, on_outcome=replay)
        write = _stats(writes, write_wall)
        statuses: dict[int, int] = {}
        for o in writes:
            statuses[o.status] = statuses.get(o.status, 0) + 1
        log(f"  POST /v1/orders: {write['n']} in {write_wall:.1f}s, {write['rps']:.0f}/s, statuses {statuses}")

    created = Order.objects.filter(tenant=tenant, environment="live", reference__startswith=f"REF-B-{run_id}-")
    distinct_refs = created.values("reference").distinct().count()
    duplicates = created.count() - distinct_refs
    expected = len(first_bodies)
    connection.close()
    ok_creates = sum(1 for o in writes if o.status in (200, 201))
    results.append(
        Result(
            f"{name}: POST /v1/orders throughput",
            f"{write['rps']:.0f} req/s vs GET /v1/warehouses {read['rps']:.0f} req/s",
            f"{write['rps'] / read['rps']:.2f}× of the read",
            note=f"{clients} clients, {workers} sync workers, {write['n']} requests incl. replays",
        )
    )
    results.append(
        Result(
            f"{name}: POST /v1/orders latency",
            f"p50/p95/p99 {write['p50']:.1f}/{write['p95']:.1f}/{write['p99']:.1f} ms "
            f"(read {read['p50']:.1f}/{read['p95']:.1f}/{read['p99']:.1f})",
            f"p50 {write['p50'] / read['p50']:.2f}× the read",
        )
    )
    results.append(
        Result(
            f"{name}: correctness",
            f"{duplicates} duplicates, {write['5xx'] + read['5xx']} 5xx, {len(replay_mismatch)} replays with "
            f"another id, {distinct_refs}/{expected} orders stored, {ok_creates} 2xx",
            target="0 duplicates, 0 5xx",
            met=duplicates == 0 and write["5xx"] + read["5xx"] == 0 and not replay_mismatch,
            note=f"statuses {statuses}",
        )
    )
    return results
