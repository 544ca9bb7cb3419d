"""Load test: an ERP fleet against gunicorn + a Celery worker on loopback, then an audit.

The mix per client (sandbox connections, so the sandbox can ship orders):
creates with Idempotency-Keys (retried with the same key on 5xx / network
errors, and one in ten replayed as after a lost response), shipment and
inventory polls that follow their resume cursors, amends with If-Match,
cancels, and sandbox shipments. Bounded by `seconds`; loopback only.

The audit afterwards proves: no duplicate orders (unique references, and
every replay of a key answered with the same order id), no lost events
(every event committed for the tenant reached the local subscriber), stock
numbers equal to the sums of their ledger, and no 5xx.

    python -m benchmarks.load             # against the bench database, LOAD_SECONDS (default 120)
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.common import BENCH_VAR, celery_worker, gunicorn
from benchmarks.driver import Call, request
from benchmarks.payloads import SKUS, ensure_catalogue, order_body

SUBSCRIBED = [
    "shipment.created",
    "shipment.updated",
    "order.created",
    "order.updated",
    "order.cancelled",
    "inventory.updated",
]


@dataclass
class LoadReport:
    seconds: float
    requests: int
    statuses: dict[int, int]
    by_kind: dict[str, int]
    orders_created: int
    duplicate_references: int
    key_conflicts: list[str]
    events_committed: int
    events_received: int
    events_lost: list[str]
    stock_mismatches: list[str]
    server_errors: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (
            self.duplicate_references
            or self.key_conflicts
            or self.events_lost
            or self.stock_mismatches
            or self.server_errors
        )

    def summary(self) -> str:
        return (
            f"{self.requests} requests in {self.seconds:.0f}s ({self.requests / self.seconds:.0f}/s), "
            f"statuses {dict(sorted(self.statuses.items()))}, mix {dict(sorted(self.by_kind.items()))}; "
            f"{self.orders_created} orders, {self.duplicate_references} duplicate references, "
            f"{len(self.key_conflicts)} idempotency conflicts; events {self.events_received}/{self.events_committed} "
            f"received ({len(self.events_lost)} lost); {len(self.stock_mismatches)} stock/ledger mismatches; "
            f"{len(self.server_errors)} 5xx. " + "; ".join(self.notes)
        )


class Erp(threading.Thread):
    """One integrating system: its own key, cursors and orders, sending a realistic mix until the deadline."""

    def __init__(self, index: int, base_url: str, key: str, deadline: float, run_id: str, seed: int):
        super().__init__(daemon=True)
        self.index = index
        self.base_url = base_url
        self.key = key
        self.deadline = deadline
        self.run_id = run_id
        self.rng = random.Random(seed)
        self.orders: list[str] = []
        self.key_to_id: dict[str, set[str]] = {}
        self.statuses: Counter = Counter()
        self.kinds: Counter = Counter()
        self.server_errors: list[str] = []
        self.cursors: dict[str, str | None] = {"shipments": None, "inventory": None}
        self.n = 0

    def send(self, kind: str, call: Call):
        outcome = request(self.base_url, call, key=self.key)
        self.statuses[outcome.status] += 1
        self.kinds[kind] += 1
        if outcome.status >= 500 or outcome.status == 0:
            self.server_errors.append(f"{call.method} {call.path} -> {outcome.status} {outcome.error}")
        return outcome

    def create(self):
        self.n += 1
        n = f"{self.run_id}-{self.index}-{self.n}"
        idem = f"load-{n}"
        body = order_body(n, prefix="L", lines=1 + self.n % 3)
        sends = 2 if self.rng.random() < 0.1 else 1  # a replay after a "lost" response
        for _ in range(sends):
            for _attempt in range(3):
                outcome = self.send("create", Call("POST", "/v1/orders", body, {"Idempotency-Key": idem}))
                if outcome.status in (200, 201):
                    order_id = (outcome.json() or {}).get("id")
                    self.key_to_id.setdefault(idem, set()).add(order_id)
                    if order_id not in self.orders:
                        self.orders.append(order_id)
                    break
                if outcome.status < 500 and outcome.status != 0 and outcome.status != 429:
                    break
                time.sleep(0.2)

    def poll(self, resource: str):
        params = "limit=100"
        if self.cursors[resource]:
            params += f"&cursor={self.cursors[resource]}"
        outcome = self.send(f"poll_{resource}", Call("GET", f"/v1/{resource}?{params}"))
        if outcome.status == 200:
            page = (outcome.json() or {}).get("pagination") or {}
            self.cursors[resource] = page.get("resume_cursor") or self.cursors[resource]

    def amend(self):
        if not self.orders:
            return
        order_id = self.rng.choice(self.orders)
        got = self.send("get_order", Call("GET", f"/v1/orders/{order_id}"))
        if got.status != 200:
            return
        version = (got.json() or {}).get("version")
        body = {"items": [{"sku": self.rng.choice(SKUS), "quantity": self.rng.randint(1, 3)}], "packing_note": "amend"}
        self.send("amend", Call("PATCH", f"/v1/orders/{order_id}", body, {"If-Match": f'"{version}"'}))

    def cancel(self):
        if self.orders:
            self.send("cancel", Call("POST", f"/v1/orders/{self.rng.choice(self.orders)}/cancel", {}))

    def ship(self):
        if self.orders:
            self.send("ship", Call("POST", f"/v1/sandbox/orders/{self.rng.choice(self.orders)}/ship", {}))

    def run(self):
        actions = [
            (0.35, self.create),
            (0.20, lambda: self.poll("shipments")),
            (0.15, lambda: self.poll("inventory")),
            (0.10, self.amend),
            (0.08, self.cancel),
            (0.12, self.ship),
        ]
        while time.monotonic() < self.deadline:
            r, acc = self.rng.random(), 0.0
            for weight, action in actions:
                acc += weight
                if r < acc:
                    action()
                    break


def audit_stock(tenant) -> list[str]:
    """Every stock cell of the tenant equals the sum of its ledger rows."""
    from django.db.models import Sum

    from fulfillment.models import StockLevel, StockMovement

    mismatches = []
    sums = {
        (row["environment"], row["product_id"], row["warehouse_id"]): row
        for row in StockMovement.objects.filter(tenant=tenant)
        .values("environment", "product_id", "warehouse_id")
        .annotate(
            on_hand=Sum("delta_on_hand"),
            allocated=Sum("delta_allocated"),
            incoming=Sum("delta_incoming"),
            backordered=Sum("delta_backordered"),
        )
    }
    for level in StockLevel.objects.filter(tenant=tenant):
        ledger = sums.get((level.environment, level.product_id, level.warehouse_id)) or {}
        for name in ("on_hand", "allocated", "incoming", "backordered"):
            if getattr(level, name) != (ledger.get(name) or 0):
                mismatches.append(
                    f"product {level.product_id} @ {level.warehouse_id} {name}: {getattr(level, name)} "
                    f"!= ledger {ledger.get(name) or 0}"
                )
    return mismatches


def run_load(*, seconds: float, clients: int = 8, workers: int = 2, drain_seconds: float = 45, log=print) -> LoadReport:
    """Run the fleet for `seconds` against a fresh gunicorn + Celery worker and audit. Needs PostgreSQL."""
    from django.db import connection

    from benchmarks.receiver import receiver
    from fulfillment.demo import seed_reference_data
    from tenants import services as tenant_services
    from tenants.models import Tenant
    from webhooks import services as webhook_services
    from webhooks.models import Delivery, Event

    seed_reference_data()
    run_id = uuid.uuid4().hex[:8]
    tenant = Tenant.objects.create(slug=f"load-{run_id}", name=f"Load {run_id}")
    keys = []
    for i in range(clients):
        issued = tenant_services.connection_create(tenant=tenant, environment="sandbox", name=f"ERP {i}")
        conn = issued.connection
        conn.rate_limit_standard = conn.rate_limit_high = conn.rate_limit_low = 2_000_000_000
        conn.save(update_fields=["rate_limit_standard", "rate_limit_high", "rate_limit_low"])
        keys.append(issued.key)
    out = Path(BENCH_VAR) / f"load-receipts-{run_id}.log"
    with receiver(out) as rx:
        # Subscribed before anything happens, so every event of the tenant must reach the receiver.
        endpoint = webhook_services.endpoint_create(
            tenant=tenant, environment="sandbox", url=f"{rx.url}/load", events=SUBSCRIBED
        ).endpoint
        ensure_catalogue(tenant, "sandbox")
        connection.close()
        with celery_worker(concurrency=1, name=f"load-{run_id}"), gunicorn(workers=workers, name="load") as server:
            log(f"  load: {clients} ERPs against {server.url} ({workers} workers) for {seconds:.0f}s")
            started = time.monotonic()
            fleet = [Erp(i, server.url, keys[i], started + seconds, run_id, seed=i * 7919 + 1) for i in range(clients)]
            for erp in fleet:
                erp.start()
            for erp in fleet:
                erp.join(seconds + 60)
            elapsed = time.monotonic() - started
            # Drain: every committed event must reach the subscriber while the worker still runs.
            drain_until = time.monotonic() + drain_seconds
            while time.monotonic() < drain_until:
                pending = Delivery.objects.filter(endpoint=endpoint, status=Delivery.Status.PENDING).count()
                if not pending:
                    break
                time.sleep(1)
            connection.close()
            server_log = server.log_path.read_text(errors="replace")
        receipts = {r.event_id for r in rx.receipts()}
    undelivered = Counter(
        Delivery.objects.filter(endpoint=endpoint)
        .exclude(status=Delivery.Status.SUCCEEDED)
        .values_list("status", flat=True)
    )
    committed = set(
        Event.objects.filter(tenant=tenant, environment="sandbox", event_type__in=SUBSCRIBED).values_list(
            "public_id", flat=True
        )
    )
    from fulfillment.models import Order

    orders = Order.objects.filter(tenant=tenant)
    references = Counter(orders.values_list("reference", flat=True))
    statuses: Counter = Counter()
    kinds: Counter = Counter()
    key_conflicts, server_errors = [], []
    for erp in fleet:
        statuses.update(erp.statuses)
        kinds.update(erp.kinds)
        server_errors.extend(erp.server_errors)
        key_conflicts.extend(k for k, ids in erp.key_to_id.items() if len(ids) != 1)
    causes = Counter(
        line.strip()
        for line in server_log.splitlines()
        if line.startswith(("psycopg.errors.", "django.db.utils.", "builtins.")) or "Error:" in line[:80]
    )
    report = LoadReport(
        seconds=elapsed,
        requests=sum(statuses.values()),
        statuses=dict(statuses),
        by_kind=dict(kinds),
        orders_created=orders.count(),
        duplicate_references=sum(c - 1 for c in references.values() if c > 1),
        key_conflicts=key_conflicts,
        events_committed=len(committed),
        events_received=len(committed & receipts),
        events_lost=sorted(committed - receipts),
        stock_mismatches=audit_stock(tenant),
        server_errors=server_errors,
        notes=[f"undelivered after drain: {dict(undelivered)}"]
        + [f"server-side exception ×{n}: {cause[:200]}" for cause, n in causes.most_common(5)],
    )
    connection.close()
    log("  load: " + report.summary())
    return report


def main() -> int:
    import os

    from benchmarks.common import configure, env_int

    configure()
    report = run_load(
        seconds=env_int("LOAD_SECONDS", 120),
        clients=env_int("LOAD_CLIENTS", 16),
        workers=env_int("LOAD_WORKERS", 4),
    )
    print(report.summary())
    for name in ("key_conflicts", "events_lost", "stock_mismatches", "server_errors"):
        items = getattr(report, name)
        if items:
            print(f"{name}: {items[:20]}")
    print("AUDIT PASSED" if report.ok else "AUDIT FAILED")
    return 0 if report.ok or os.environ.get("LOAD_NO_FAIL") else 1


if __name__ == "__main__":
    raise SystemExit(main())
