"""`python -m benchmarks.run` (what `make bench` calls): every benchmark, one table, docs/benchmarks.md.

Sizes come from the environment (BENCH_SHIPMENTS=1000000 etc.); BENCH_QUICK=1
uses smoke sizes that validate the harness in a minute or two; BENCH_ONLY=feed,ingest
runs a subset. Needs PostgreSQL and Redis (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/bench_main, created if missing;
BENCH_REDIS_URL, default redis://127.0.0.1:6379/8). A benchmark whose feature
does not exist yet, or that fails, is reported as "not measured: <reason>".
"""

from __future__ import annotations

import datetime
import importlib
import os
import sys
import time
import traceback

from benchmarks.common import ROOT, Result, configure, machine_info, not_measured, quick

BENCHMARKS = [
    ("feed", "benchmarks.feed", "Shipments feed"),
    ("ingest", "benchmarks.ingest", "Order ingest"),
    ("webhooks", "benchmarks.webhooks", "Webhook delivery"),
    ("metering", "benchmarks.metering", "Metering overhead"),
    ("billing", "benchmarks.billing", "Nightly billing"),
    ("memory", "benchmarks.memory", "Memory"),
]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def table(results: list[Result]) -> str:
    headers = ("Benchmark", "Figure", "Ratio", "Target", "Verdict", "Notes")
    rows = [(r.benchmark, r.figure, r.ratio, r.target, r.verdict, r.note) for r in results]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(str(c).replace("|", "/") for c in row) + " |")
    return "\n".join(lines)


def console_table(results: list[Result]) -> str:
    headers = ("Benchmark", "Figure", "Ratio", "Target", "Verdict")
    rows = [headers] + [(r.benchmark, r.figure, r.ratio, r.target, r.verdict) for r in results]
    widths = [min(70, max(len(str(row[i])) for row in rows)) for i in range(len(headers))]
    out = []
    for n, row in enumerate(rows):
        out.append("  ".join(str(c)[:70].ljust(widths[i]) for i, c in enumerate(row)))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def write_doc(results: list[Result], machine: dict[str, str], started: datetime.datetime, elapsed: float) -> str:
    path = ROOT / "docs" / "benchmarks.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    sizes = {k: v for k, v in sorted(os.environ.items()) if k.startswith("BENCH_") and k != "BENCH_SECRET_KEY"}
    gaps = [r for r in results if r.measured and r.met is False]
    unmeasured = [r for r in results if not r.measured]
    body = [
        "# Benchmarks",
        "",
        "Produced by `make bench` (`python -m benchmarks.run`); do not edit by hand — rerun it.",
        "Every figure is a ratio of two things measured in the same run on the same machine.",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC (took {elapsed:.0f} s)",
        f"- Machine: {machine['nproc']} CPU ({machine['cpu']}), {machine['ram']} RAM, {machine['platform']}",
        f"- Python {machine['python']}, PostgreSQL {machine['postgresql']}",
        f"- Mode: {'QUICK (smoke sizes — not the reference figures)' if quick() else 'full size'}",
        f"- Size overrides: {', '.join(f'{k}={v}' for k, v in sizes.items()) or 'none'}",
        "",
        table(results),
        "",
        "## Verdict",
        "",
    ]
    if not gaps and not unmeasured:
        body.append("Every target is met.")
    for r in gaps:
        body.append(f"- **Gap — {r.benchmark}**: {r.ratio} against target {r.target}. {r.note}")
    for r in unmeasured:
        body.append(f"- **Not measured — {r.benchmark}**: {r.figure.removeprefix('not measured: ')}")
    body += ["", "## How each figure is measured", "", METHODS]
    path.write_text("\n".join(body) + "\n")
    return str(path)


METHODS = """\
- **Shipments feed** — `BENCH_SHIPMENTS` shipments (default 1,000,000; 1–3 parcels and 1–4 items, one order
  each) bulk-loaded across 100 tenants, 95 % in one tenant so a page 90 % deep into the whole history exists
  inside one feed. Median latency of a 100-shipment page of `GET /v1/shipments` through the full Django stack
  (`django.test.Client`: middleware, key check, rate limiter, metering, rendering), interleaved with (a) the
  floor: one keyset SQL query with psycopg (parcels/items aggregated in SQL) turned into the same dicts and
  encoded with orjson; (b) a naive DRF `ReadOnlyModelViewSet` with nested `ModelSerializer`s and
  `LimitOffsetPagination`, defined inside the benchmark only, called without middleware (in its favour);
  (c) the first page against a page 90 % deep.
- **Order ingest** — gunicorn (sync workers, `BENCH_WORKERS`, default 4) started on a loopback port;
  16 client threads (`BENCH_CLIENTS`) POST `/v1/orders` with unique `Idempotency-Key`s, replaying 10 % of them
  (a retry after a lost response must return the same order); throughput and p50/p95/p99 compared with
  `GET /v1/warehouses` on the same server in the same run; the database is then checked for duplicates.
- **Webhook delivery** — one worker process delivering to a local receiver against a floor loop that signs and
  POSTs the same payloads with the same HTTP client; commit-to-receipt p95 at 100 events/s.
- **Metering overhead** — median of `GET /v1/warehouses` in-process with `METERING_ENABLED` on and off,
  interleaved.
- **Nightly billing** — the billing service's nightly run at 10,000 and 20,000 connections; time and ratio.
- **Memory** — RSS of a single gunicorn worker after 1,000 and after 100,000 requests (`BENCH_MEMORY_REQUESTS`).
- Settings in every benchmark: DEBUG off (no query log), request INFO logging off, rate limiter on with limits
  raised out of reach, Redis as the counter/metering store.
"""


def main() -> int:
    started = datetime.datetime.now(datetime.UTC)
    t0 = time.perf_counter()
    configure()
    machine = machine_info()
    only = {s.strip() for s in os.environ.get("BENCH_ONLY", "").split(",") if s.strip()}
    results: list[Result] = []
    for key, module_name, title in BENCHMARKS:
        if only and key not in only:
            continue
        log(f"== {title}")
        t = time.perf_counter()
        try:
            module = importlib.import_module(module_name)
            results.extend(module.run(log=log))
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others
            log(traceback.format_exc())
            results.append(not_measured(title, f"failed: {type(exc).__name__}: {str(exc)[:200]}"))
        log(f"   ({time.perf_counter() - t:.1f}s)")
    elapsed = time.perf_counter() - t0
    print(console_table(results))
    path = write_doc(results, machine, started, elapsed)
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
