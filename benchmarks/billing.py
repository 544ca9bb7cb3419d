"""Nightly billing at 10,000 and 20,000 connections: time of `billing_run_day` and the ratio between them.

Connections are spread 10 per tenant (so tenants and invoices scale with
them), each with four hours of usage on the billed day. The 10,000 run bills a
day in one month; 10,000 more connections are added and the 20,000 run bills a
day in the next month, so both runs start from the same state (no drafts for
that month yet). Linear scaling is a ratio of 2.0.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

from benchmarks.common import Result, not_measured, sized

PER_TENANT = 10
PREFIX = "bench-bill-"


def _clear() -> None:
    from billing.models import Invoice, UsageDay, UsageHour, UsageMonth
    from tenants.models import ApiConnection, Tenant

    tenants = Tenant.objects.filter(slug__startswith=PREFIX)
    for model in (UsageHour, UsageDay, UsageMonth):
        model.objects.filter(tenant__in=tenants).delete()
    Invoice.objects.filter(tenant__in=tenants).delete()
    ApiConnection.objects.filter(tenant__in=tenants).delete()
    tenants.delete()


def _add_connections(start: int, count: int, day: date) -> None:
    """Tenants `start/10 …`, 10 live connections each, 4 hours of usage on `day` per connection."""
    from billing.models import UsageHour
    from config.ids import new_public_id
    from tenants.models import ApiConnection, Tenant

    first_tenant = start // PER_TENANT
    tenants = Tenant.objects.bulk_create(
        [
            Tenant(slug=f"{PREFIX}{i:06d}", name=f"Bench billing {i}")
            for i in range(first_tenant, first_tenant + count // PER_TENANT)
        ],
        batch_size=2000,
    )
    created = datetime.combine(day - timedelta(days=40), datetime.min.time(), tzinfo=UTC)
    connections = ApiConnection.objects.bulk_create(
        [
            ApiConnection(
                public_id=new_public_id("con"),
                tenant=t,
                environment="live",
                name=f"bench billing {n}",
                created_at=created,
            )
            for t in tenants
            for n in range(PER_TENANT)
        ],
        batch_size=2000,
    )
    # created_at is auto_now_add: set it back so every connection was usable in the billed weeks.
    ApiConnection.objects.filter(id__in=[c.id for c in connections]).update(created_at=created)
    base = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    UsageHour.objects.bulk_create(
        [
            UsageHour(
                tenant_id=c.tenant_id,
                connection=c,
                environment="live",
                hour=base + timedelta(hours=h * 5),
                endpoint_group=group,
                requests=100 + h,
                bytes_in=50_000,
                bytes_out=2_000_000,
            )
            for c in connections
            for h, group in enumerate(("orders", "shipments", "inventory", "auth"))
        ],
        batch_size=5000,
    )


def run(log=print) -> list[Result]:
    try:
        from billing.services import billing_run_day
    except ImportError:
        return [not_measured("Nightly billing", "billing.services.billing_run_day does not exist yet")]
    from django.db import connection

    small = sized("BENCH_BILLING_CONNECTIONS", 10_000, 1_000)
    day1, day2 = date(2026, 5, 12), date(2026, 6, 10)
    log("  billing: clearing previous bench billing rows")
    _clear()
    _add_connections(0, small, day1)
    t = time.perf_counter()
    r1 = billing_run_day(day=day1)
    t1 = time.perf_counter() - t
    log(f"  billing: {small} connections in {t1:.2f}s ({r1.usage_days} usage days)")
    _add_connections(small, small, day2)
    t = time.perf_counter()
    r2 = billing_run_day(day=day2)
    t2 = time.perf_counter() - t
    log(f"  billing: {2 * small} connections in {t2:.2f}s ({r2.usage_days} usage days)")
    _clear()
    connection.close()
    ratio = t2 / t1
    return [
        Result(
            "Nightly billing",
            f"{small:,} connections {t1:.2f} s; {2 * small:,} connections {t2:.2f} s",
            f"{ratio:.2f}× for 2× the connections",
            "≤ 2.2× (linear or better)",
            ratio <= 2.2,
            note=f"billing_run_day; {PER_TENANT} connections per tenant, 4 usage hours each",
        )
    ]
