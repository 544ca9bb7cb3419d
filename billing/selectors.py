"""Reads for the portal, admin and API: usage by month, day, endpoint group and today; request log; invoices.

Every selector takes the tenant (and environment) explicitly. Flushed rollups
come from the database; where it is cheap, the accumulator's unflushed numbers
(the last minute or so) are added so a request made seconds ago shows up.
Months are given as any `date` inside the month (the first day is customary).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone

from billing import metering
from billing.models import COUNTER_FIELDS, LATENCY_BUCKETS_MS, LATENCY_FIELDS, Invoice, InvoiceLine, UsageHour
from billing.services import month_end, month_start, overage_amount, plans_for
from tenants.models import ApiConnection, Environment, Tenant

logger = logging.getLogger("billing")
_DAY_FIELDS = ("requests", "errors_4xx", "errors_5xx", "bytes_in", "bytes_out")


def _month_range(month: date) -> tuple[datetime, datetime]:
    start = datetime.combine(month_start(month), time.min, tzinfo=UTC)
    return start, datetime.combine(month_end(month) + timedelta(days=1), time.min, tzinfo=UTC)


def _unflushed(tenant: Tenant, environment: str, start: datetime, end: datetime):
    """(BucketKey, counters) pairs of this tenant/environment still in the accumulator, within [start, end)."""
    try:
        rows = metering.store().unflushed()
    except Exception:
        # The portal still works from the database if the accumulator is unreachable.
        logger.warning("metering accumulator unreachable; showing flushed usage only", exc_info=True)
        return []
    lo, hi = start.timestamp(), end.timestamp()
    return [
        (key, counters)
        for key, counters in rows.items()
        if key.tenant_id == tenant.pk and key.environment == environment and lo <= key.hour < hi
    ]


def _hours(tenant: Tenant, environment: str, start: datetime, end: datetime):
    return UsageHour.objects.filter(tenant=tenant, environment=environment, hour__gte=start, hour__lt=end)


def usage_month_by_connection(*, tenant: Tenant, environment: str, month: date) -> list[dict]:
    """Per connection of the tenant/environment, the month's usage so far (flushed + unflushed).

    Returns a list ordered by bytes_total descending, each:
    ``{"connection_id": "con_…", "name": str, "status": str, "bytes_in": int, "bytes_out": int,
    "bytes_total": int, "requests": int, "errors_4xx": int, "errors_5xx": int,
    "included_bytes": int (0 for sandbox: never billed), "included_used_percent": float,
    "overage_bytes": int, "projected_overage": Decimal (0.00 for sandbox), "currency": "CAD"}``.
    """
    start, end = _month_range(month)
    totals: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(_DAY_FIELDS, 0))
    for row in (
        _hours(tenant, environment, start, end)
        .values("connection_id")
        .annotate(**{f"s_{f}": Sum(f) for f in _DAY_FIELDS})
        .order_by()
    ):
        for f in _DAY_FIELDS:
            totals[row["connection_id"]][f] += row[f"s_{f}"] or 0
    for key, counters in _unflushed(tenant, environment, start, end):
        for f in _DAY_FIELDS:
            totals[key.connection_id][f] += counters.get(f, 0)
    connections = {
        c.pk: c
        for c in ApiConnection.objects.filter(tenant=tenant, environment=environment)
        .filter(Q(pk__in=list(totals)) | Q(revoked_at__isnull=True))
        .order_by("pk")
    }
    plan = plans_for([tenant.pk])[tenant.pk]
    billed = environment == Environment.LIVE
    out = []
    for pk, conn in connections.items():
        t = totals.get(pk, dict.fromkeys(_DAY_FIELDS, 0))
        total = t["bytes_in"] + t["bytes_out"]
        included = plan.included_bytes if billed else 0
        _, amount = overage_amount(bytes_total=total, included=included, price_per_gb=plan.overage_price_per_gb)
        out.append(
            {
                "connection_id": conn.public_id,
                "name": conn.name,
                "status": conn.status,
                **t,
                "bytes_total": total,
                "included_bytes": included,
                "included_used_percent": round(total * 100 / included, 1) if included else 0.0,
                "overage_bytes": max(0, total - included) if billed else 0,
                "projected_overage": amount if billed else Decimal("0.00"),
                "currency": plan.currency,
            }
        )
    out.sort(key=lambda r: (-r["bytes_total"], r["connection_id"]))
    return out


def usage_daily(*, tenant: Tenant, environment: str, month: date) -> list[dict]:
    """One entry per day of the month up to today (days without traffic are zero), oldest first:
    ``{"day": date, "requests", "errors_4xx", "errors_5xx", "bytes_in", "bytes_out", "bytes_total"}`` (ints).
    """
    start, end = _month_range(month)
    days: dict[date, dict[str, int]] = {}
    last = min(month_end(month), timezone.now().date())
    day = month_start(month)
    while day <= last:
        days[day] = dict.fromkeys(_DAY_FIELDS, 0)
        day += timedelta(days=1)
    for hour_row in _hours(tenant, environment, start, end).values("hour", *_DAY_FIELDS).order_by():
        slot = days.setdefault(hour_row["hour"].astimezone(UTC).date(), dict.fromkeys(_DAY_FIELDS, 0))
        for f in _DAY_FIELDS:
            slot[f] += hour_row[f]
    for key, counters in _unflushed(tenant, environment, start, end):
        slot = days.setdefault(datetime.fromtimestamp(key.hour, tz=UTC).date(), dict.fromkeys(_DAY_FIELDS, 0))
        for f in _DAY_FIELDS:
            slot[f] += counters.get(f, 0)
    return [{"day": d, **v, "bytes_total": v["bytes_in"] + v["bytes_out"]} for d, v in sorted(days.items())]


def usage_by_endpoint_group(*, tenant: Tenant, environment: str, month: date) -> list[dict]:
    """What drives usage: per endpoint group, largest first:
    ``{"endpoint_group": str, "requests", "errors_4xx", "errors_5xx", "bytes_in", "bytes_out", "bytes_total"}``.
    """
    start, end = _month_range(month)
    groups: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(_DAY_FIELDS, 0))
    for row in (
        _hours(tenant, environment, start, end)
        .values("endpoint_group")
        .annotate(**{f"s_{f}": Sum(f) for f in _DAY_FIELDS})
        .order_by()
    ):
        for f in _DAY_FIELDS:
            groups[row["endpoint_group"]][f] += row[f"s_{f}"] or 0
    for key, counters in _unflushed(tenant, environment, start, end):
        for f in _DAY_FIELDS:
            groups[key.group][f] += counters.get(f, 0)
    out = [{"endpoint_group": g, **v, "bytes_total": v["bytes_in"] + v["bytes_out"]} for g, v in groups.items()]
    out.sort(key=lambda r: (-r["bytes_total"], r["endpoint_group"]))
    return out


def latency_percentile(histogram: list[int], fraction: float) -> int | None:
    """Upper bound (ms) of the bucket holding the given fraction of requests; None without requests.

    Requests slower than the last bound report twice that bound.
    """
    total = sum(histogram)
    if total == 0:
        return None
    rank = fraction * total
    seen = 0
    for index, count in enumerate(histogram):
        seen += count
        if seen >= rank:
            return LATENCY_BUCKETS_MS[index] if index < len(LATENCY_BUCKETS_MS) else LATENCY_BUCKETS_MS[-1] * 2
    return LATENCY_BUCKETS_MS[-1] * 2


def usage_today(*, tenant: Tenant, environment: str) -> dict:
    """Today (UTC) so far: ``{"requests": int, "errors_4xx": int, "errors_5xx": int, "error_rate": float
    (0–1, 4xx+5xx over requests), "bytes_in": int, "bytes_out": int, "p50_ms": int|None, "p95_ms": int|None,
    "mean_ms": float|None}``. Percentiles are bucket upper bounds (see LATENCY_BUCKETS_MS)."""
    start = datetime.combine(timezone.now().date(), time.min, tzinfo=UTC)
    end = start + timedelta(days=1)
    sums = dict.fromkeys(COUNTER_FIELDS, 0)
    aggregate = _hours(tenant, environment, start, end).aggregate(**{f: Sum(f) for f in COUNTER_FIELDS})
    for f in COUNTER_FIELDS:
        sums[f] += aggregate[f] or 0
    for _, counters in _unflushed(tenant, environment, start, end):
        for f in COUNTER_FIELDS:
            sums[f] += counters.get(f, 0)
    histogram = [sums[f] for f in LATENCY_FIELDS]
    requests = sums["requests"]
    return {
        "requests": requests,
        "errors_4xx": sums["errors_4xx"],
        "errors_5xx": sums["errors_5xx"],
        "error_rate": (sums["errors_4xx"] + sums["errors_5xx"]) / requests if requests else 0.0,
        "bytes_in": sums["bytes_in"],
        "bytes_out": sums["bytes_out"],
        "p50_ms": latency_percentile(histogram, 0.50),
        "p95_ms": latency_percentile(histogram, 0.95),
        "mean_ms": round(sums["duration_ms"] / requests, 1) if requests else None,
    }


def request_log(
    *,
    connection: ApiConnection | None = None,
    tenant: Tenant | None = None,
    environment: str | None = None,
    status: int | str | None = None,
    path_contains: str | None = None,
    request_id: str | None = None,
    limit: int = 100,
) -> list[dict]:
    """Recent requests, newest first, for one connection or all of a tenant's connections in an environment.

    Each entry: ``{"connection_id": "con_…", "method", "path", "status": int, "duration_ms": float,
    "bytes_in": int, "bytes_out": int, "request_id": str, "time": aware datetime}``.
    `status` filters by an exact code (404) or a class ("4xx", "5xx"). Bounded by
    REQUEST_LOG_MAX_ENTRIES per connection and REQUEST_LOG_MAX_AGE_SECONDS.
    """
    from django.conf import settings

    if connection is not None:
        connections = [connection]
    else:
        connections = list(ApiConnection.objects.filter(tenant=tenant, environment=environment).only("id", "public_id"))
    oldest = timezone.now().timestamp() - settings.REQUEST_LOG_MAX_AGE_SECONDS
    logs = metering.store().logs([conn.pk for conn in connections])
    entries = []
    for conn in connections:
        for entry in logs[conn.pk]:
            if entry["t"] < oldest:
                continue
            if status is not None:
                text = str(status)
                if text.endswith("xx"):
                    if str(entry["status"])[0] != text[0]:
                        continue
                elif entry["status"] != int(text):
                    continue
            if path_contains and path_contains not in entry["path"]:
                continue
            if request_id and entry["request_id"] != request_id:
                continue
            entries.append({**entry, "connection_id": conn.public_id})
    entries.sort(key=lambda e: -e["t"])
    return [
        {
            "connection_id": e["connection_id"],
            "method": e["method"],
            "path": e["path"],
            "status": e["status"],
            "duration_ms": e["duration_ms"],
            "bytes_in": e["bytes_in"],
            "bytes_out": e["bytes_out"],
            "request_id": e["request_id"],
            "time": metering.log_time(e),
        }
        for e in entries[:limit]
    ]


def invoices_for(*, tenant: Tenant) -> list[Invoice]:
    """The tenant's invoices, newest month first (drafts included, voided ones too, for the record)."""
    return list(Invoice.objects.filter(tenant=tenant).order_by("-month", "-created_at"))


def invoice_lines(invoice: Invoice) -> list[InvoiceLine]:
    """The invoice's lines in order (InvoiceLine: kind, description, period_start/end, quantity, unit_price, amount)."""
    return list(invoice.lines.order_by("position"))


def invoice_draft_current(*, tenant: Tenant) -> Invoice | None:
    """The current month's draft invoice (as of the last nightly run), or None."""
    return Invoice.objects.filter(
        tenant=tenant, month=month_start(timezone.now().date()), status=Invoice.Status.DRAFT
    ).first()
