"""Memory: RSS of one gunicorn worker after 1,000 requests and after 100,000 (GET /v1/warehouses, a key each)."""

from __future__ import annotations

from benchmarks.common import Result, gunicorn, rss_kb, sized
from benchmarks.data import bench_connection, ensure_reference_data
from benchmarks.driver import Call, drive


def run(log=print) -> list[Result]:
    from django.db import connection

    from tenants.models import Tenant

    name = "Memory"
    early = sized("BENCH_MEMORY_EARLY", 1_000, 200)
    total = sized("BENCH_MEMORY_REQUESTS", 100_000, 2_000)
    ensure_reference_data()
    tenant, _ = Tenant.objects.get_or_create(slug="bench-memory", defaults={"name": "Bench memory"})
    bench = bench_connection(tenant, "live", name="bench memory")
    connection.close()
    # A mix of paths so URL resolution, auth, the limiter, metering, the error envelope and 404s all run.
    paths = ["/v1/warehouses", "/v1/shipping-methods", "/v1/me", "/v1/warehouses?limit=1", "/v1/no-such-route"]
    with gunicorn(workers=1, name="memory") as server:
        (worker,) = server.worker_pids
        rss_start = rss_kb(worker)

        def upto(n: int, offset: int):
            def next_call(c: int, i: int):
                k = offset + i * 4 + c
                return Call("GET", paths[k % len(paths)]) if i * 4 + c < n - offset else None

            return next_call

        out1, _ = drive(server.url, upto(early, 0), clients=4, key=bench.key)
        rss_early = rss_kb(worker)
        out2, wall = drive(server.url, upto(total, early), clients=4, key=bench.key, deadline_seconds=3600)
        rss_late = rss_kb(worker)
        errors = sum(1 for o in out1 + out2 if o.status >= 500 or o.status == 0)
        assert server.worker_pids == [worker], "worker restarted during the memory run"
    growth = rss_late / rss_early
    log(f"  RSS start {rss_start} kB, after {early} {rss_early} kB, after {total} {rss_late} kB ({wall:.0f}s)")
    return [
        Result(
            name,
            f"worker RSS {rss_late / 1024:.1f} MiB after {total:,} requests vs {rss_early / 1024:.1f} MiB after "
            f"{early:,}",
            f"{growth:.3f}× ({(rss_late - rss_early) / 1024:+.1f} MiB)",
            "≤ 1.10× (no leak)",
            growth <= 1.10,
            note=f"1 sync worker, 4 clients, {errors} 5xx; start {rss_start / 1024:.1f} MiB",
        )
    ]
