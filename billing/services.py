"""Every write billing knows: flushing metered usage, the nightly run, invoices, alerts, overdue suspension.

Pricing rules (also in billing/README.md):
* A GB is 10^9 bytes. Billable bandwidth = bytes in + bytes out of a *live* connection
  in a calendar month (UTC); sandbox traffic is metered and shown, never billed.
* Overage is charged per byte pro rata: quantity = (bytes − included) / 10^9 GB with nine
  decimals (exact), amount = quantity × price per GB rounded half-up to cents once per line.
* Weeks are ISO weeks, Monday 00:00 to the next Monday 00:00 UTC. A connection is charged
  the weekly fee for a week if it was usable at any moment of it
  (`ApiConnection.usable_between`). A week is billed in the month that contains its
  **Sunday** (its last day), so every week on a month's invoice has ended when the
  invoice is issued after the month's last day.
"""

from __future__ import annotations

import calendar
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import BigIntegerField, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing import metering
from billing.models import (
    COUNTER_FIELDS,
    EffectivePlan,
    Invoice,
    InvoiceLine,
    PricePlan,
    UsageDay,
    UsageFlush,
    UsageHour,
    UsageMonth,
)
from config.api.errors import Conflict
from tenants.models import ApiConnection, AuditLogEntry, Environment, Membership, Notice, Tenant
from tenants.services import audit_record, notice_raise, tenant_set_suspended

logger = logging.getLogger("billing")

BYTES_PER_GB = Decimal(10**9)
CENT = Decimal("0.01")
ALERT_THRESHOLDS = (80, 100)
AUTO_SUSPEND_REASON_PREFIX = "Overdue invoice"
MONTH_SUM_FIELDS = ("requests", "errors_4xx", "errors_5xx", "bytes_in", "bytes_out")


# --- Calendar helpers ------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def billing_weeks(month: date) -> list[date]:
    """Mondays of the weeks billed in `month`: those whose Sunday falls in it."""
    first_sunday = month_start(month) + timedelta(days=(6 - month_start(month).weekday()) % 7)
    weeks = []
    sunday = first_sunday
    while sunday <= month_end(month):
        weeks.append(sunday - timedelta(days=6))
        sunday += timedelta(days=7)
    return weeks


def overage_amount(*, bytes_total: int, included: int, price_per_gb: Decimal) -> tuple[Decimal, Decimal]:
    """(quantity in GB, amount): per byte pro rata, rounded half-up to cents once."""
    over = max(0, bytes_total - included)
    quantity = Decimal(over) / BYTES_PER_GB
    return quantity, (quantity * price_per_gb).quantize(CENT, rounding=ROUND_HALF_UP)


# --- Flush -----------------------------------------------------------------------------------------


@dataclass
class FlushResult:
    """What one flush did: batches applied, batches found already applied (retries), rows upserted."""

    applied: int = 0
    already_applied: int = 0
    rows: int = 0


def usage_flush() -> FlushResult:
    """Move everything the accumulator holds into UsageHour rows, exactly once.

    Each claimed batch is applied in one transaction together with its UsageFlush
    ledger row; the store forgets the batch only after that commit. A batch whose
    ledger row already exists (the process died after commit, or two flushes ran
    at once) is dropped without being added again. A batch that fails stays
    claimed and is retried by the next flush; the error is re-raised.
    """
    store = metering.store()
    result = FlushResult()
    first_error: Exception | None = None
    for batch in store.claim():
        try:
            applied = _batch_apply(batch)
        except Exception as exc:
            logger.warning("usage flush of %s failed; kept for retry", batch.batch_id, exc_info=True)
            first_error = first_error or exc
            continue
        if applied is None:
            result.already_applied += 1
        else:
            result.applied += 1
            result.rows += applied
        store.done(batch)
    if first_error is not None:
        raise first_error
    return result


def _batch_apply(batch: metering.Batch) -> int | None:
    """Apply one batch; None if the ledger says it was applied before."""
    if UsageFlush.objects.filter(batch_id=batch.batch_id).exists():
        return None
    connection_ids = {key.connection_id for key in batch.rows}
    existing = set(ApiConnection.objects.filter(pk__in=connection_ids).values_list("pk", flat=True))
    rows = [(key, counters) for key, counters in batch.rows.items() if key.connection_id in existing]
    try:
        with transaction.atomic():
            UsageFlush.objects.create(batch_id=batch.batch_id, rows=len(rows))
            _hours_upsert(rows)
    except IntegrityError:
        if UsageFlush.objects.filter(batch_id=batch.batch_id).exists():
            return None
        raise
    return len(rows)


def _hours_upsert(rows) -> None:
    """Additive upsert: INSERT … ON CONFLICT DO UPDATE SET c = c + excluded.c (SQLite and PostgreSQL)."""
    if not rows:
        return
    table = UsageHour._meta.db_table
    quote = connection.ops.quote_name
    columns = ["tenant_id", "connection_id", "environment", "hour", "endpoint_group", *COUNTER_FIELDS]
    updates = ", ".join(f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in COUNTER_FIELDS)
    sql = (
        f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({quote('connection_id')}, {quote('hour')}, {quote('endpoint_group')}) DO UPDATE SET {updates}"
    )
    params = []
    for key, counters in sorted(rows, key=lambda r: (r[0].connection_id, r[0].hour, r[0].group)):
        hour = connection.ops.adapt_datetimefield_value(datetime.fromtimestamp(key.hour, tz=UTC))
        params.append(
            [key.tenant_id, key.connection_id, key.environment, hour, key.group]
            + [int(counters.get(name, 0)) for name in COUNTER_FIELDS]
        )
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


# --- Nightly billing -------------------------------------------------------------------------------


@dataclass
class BillingDayResult:
    """Summary of one billing_run_day: rows finalised, invoices touched, alerts and suspensions."""

    day: date
    usage_days: int = 0
    usage_months: int = 0
    invoices_created: int = 0
    invoices_updated: int = 0
    invoices_unchanged: int = 0
    invoices_issued: list[str] = field(default_factory=list)
    alerts: int = 0
    suspended_tenants: list[str] = field(default_factory=list)


def billing_run_day(*, day: date, now: datetime | None = None) -> BillingDayResult:
    """Finalise `day` and bring its month's draft invoices up to date; issue them after the month's last day.

    Idempotent: running it again for the same day (with the same usage) leaves
    every row with the same values, and invoices and their lines are not even
    rewritten unless a line differs. Set-based throughout — a fixed number of queries, not one per
    connection — so 10,000 connections take seconds.
    """
    now = now or timezone.now()
    result = BillingDayResult(day=day)
    with transaction.atomic():
        result.usage_days = _usage_day_finalise(day)
        result.usage_months = _usage_month_update(month_start(day))
        _invoices_rebuild(month_start(day), day, result)
        if day == month_end(day):
            result.invoices_issued = _invoices_issue_month(month=month_start(day), now=now)
    result.alerts = bandwidth_alerts_check(month=month_start(day))
    result.suspended_tenants = overdue_tenants_suspend(now=now)
    return result


def billing_run_range(*, start: date, end: date, progress=None) -> list[BillingDayResult]:
    """Run billing for each day from `start` to `end` inclusive, in order; `progress(done, total)` after each."""
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    results = []
    for index, day in enumerate(days, 1):
        results.append(billing_run_day(day=day))
        if progress:
            progress(index, len(days))
    return results


def _upsert_select(
    *, target, key_columns, select_columns, sum_columns, source, where_sql, params, aggregates=None
) -> None:
    """INSERT INTO target (…) SELECT … GROUP BY … ON CONFLICT (keys) DO UPDATE: one statement, SQLite and PostgreSQL.

    `select_columns` maps target column → SQL expression (grouped); `sum_columns` are summed from `source`;
    `aggregates` maps further target columns to aggregate expressions.
    """
    quote = connection.ops.quote_name
    aggregates = aggregates or {}
    columns = [*select_columns, *sum_columns, *aggregates]
    expressions = [*select_columns.values(), *(f"SUM({quote(c)})" for c in sum_columns), *aggregates.values()]
    grouped = [expr for expr in select_columns.values() if expr != "%s"]
    updates = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in columns if c not in key_columns)
    sql = (
        f"INSERT INTO {quote(target)} ({', '.join(quote(c) for c in columns)}) "
        f"SELECT {', '.join(expressions)} FROM {quote(source)} WHERE {where_sql} "
        f"GROUP BY {', '.join(grouped)} "
        f"ON CONFLICT ({', '.join(quote(c) for c in key_columns)}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _usage_day_finalise(day: date) -> int:
    """UsageHour of `day` → UsageDay, one set-based upsert; days whose hours vanished are removed."""
    start, end = day_bounds(day)
    adapt = connection.ops.adapt_datetimefield_value
    _upsert_select(
        target=UsageDay._meta.db_table,
        key_columns=["connection_id", "day"],
        select_columns={
            "connection_id": "connection_id",
            "tenant_id": "tenant_id",
            "environment": "environment",
            "day": "%s",
        },  # fmt: skip
        sum_columns=list(COUNTER_FIELDS),
        source=UsageHour._meta.db_table,
        where_sql="hour >= %s AND hour < %s",
        params=[connection.ops.adapt_datefield_value(day), adapt(start), adapt(end)],
    )
    UsageDay.objects.filter(day=day).exclude(
        Exists(UsageHour.objects.filter(connection_id=OuterRef("connection_id"), hour__gte=start, hour__lt=end))
    ).delete()
    return UsageDay.objects.filter(day=day).count()


def _usage_month_update(month: date) -> int:
    """UsageDay of the month → UsageMonth (month-to-date per connection), one set-based upsert."""
    adapt = connection.ops.adapt_datefield_value
    _upsert_select(
        target=UsageMonth._meta.db_table,
        key_columns=["connection_id", "month"],
        select_columns={
            "connection_id": "connection_id",
            "tenant_id": "tenant_id",
            "environment": "environment",
            "month": "%s",
        },  # fmt: skip
        sum_columns=list(MONTH_SUM_FIELDS),
        source=UsageDay._meta.db_table,
        where_sql="day >= %s AND day <= %s",
        params=[adapt(month), adapt(month), adapt(month_end(month))],
        aggregates={"through_day": "MAX(day)"},
    )
    return UsageMonth.objects.filter(month=month).count()


def plans_for(tenant_ids) -> dict[int, EffectivePlan]:
    """EffectivePlan per tenant id (one query); tenants without an override get the default."""
    overrides = {p.tenant_id: p for p in PricePlan.objects.filter(tenant_id__in=list(tenant_ids))}
    return defaultdict(EffectivePlan, {tid: EffectivePlan(plan) for tid, plan in overrides.items()})


def _invoices_rebuild(month: date, day: date, result: BillingDayResult) -> None:
    weeks_all = billing_weeks(month)
    existing = {
        inv.tenant_id: inv
        for inv in Invoice.objects.filter(month=month).exclude(status=Invoice.Status.VOID).order_by("tenant_id")
    }
    cutoff = max([day, *[inv.through_day for inv in existing.values() if inv.through_day]])
    weeks = [w for w in weeks_all if w <= cutoff]
    if not weeks_all:
        return
    first, last_end = weeks_all[0], weeks_all[-1] + timedelta(days=7)
    first_dt = datetime.combine(first, time.min, tzinfo=UTC)
    last_dt = datetime.combine(last_end, time.min, tzinfo=UTC)
    connections = list(
        ApiConnection.objects.filter(environment=Environment.LIVE, created_at__lt=last_dt)
        .filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=first_dt))
        .only("id", "public_id", "name", "tenant_id", "created_at", "revoked_at")
        .order_by("tenant_id", "public_id")
    )
    usage = {
        u.connection_id: u
        for u in UsageMonth.objects.filter(month=month, environment=Environment.LIVE).only(
            "connection_id", "bytes_in", "bytes_out"
        )
    }
    plans = plans_for({c.tenant_id for c in connections})
    desired: dict[int, list[tuple]] = defaultdict(list)
    for conn in connections:
        plan = plans[conn.tenant_id]
        lines = desired[conn.tenant_id]
        for week in weeks:
            start = datetime.combine(week, time.min, tzinfo=UTC)
            if conn.usable_between(start, start + timedelta(days=7)):
                lines.append(
                    (
                        InvoiceLine.Kind.CONNECTION_WEEK,
                        conn.pk,
                        f"Connection fee: {conn.name} ({conn.public_id}), week of {week:%Y-%m-%d}",
                        week,
                        week + timedelta(days=6),
                        Decimal("1.000000000"),
                        plan.weekly_connection_fee,
                        plan.weekly_connection_fee.quantize(CENT, rounding=ROUND_HALF_UP),
                    )
                )
        used = usage.get(conn.pk)
        if used is not None and used.bytes_total > plan.included_bytes:
            quantity, amount = overage_amount(
                bytes_total=used.bytes_total, included=plan.included_bytes, price_per_gb=plan.overage_price_per_gb
            )
            lines.append(
                (
                    InvoiceLine.Kind.OVERAGE,
                    conn.pk,
                    f"Bandwidth overage: {conn.name} ({conn.public_id}), {used.bytes_total:,} bytes used, "
                    f"{plan.included_bytes:,} included",
                    month,
                    month_end(month),
                    quantity.quantize(Decimal("0.000000001")),
                    plan.overage_price_per_gb,
                    amount,
                )
            )
    current_lines: dict[int, list[tuple]] = defaultdict(list)
    for row in (
        InvoiceLine.objects.filter(invoice__month=month, invoice__status=Invoice.Status.DRAFT)
        .order_by("invoice_id", "position")
        .values_list(
            "invoice_id",
            "kind",
            "connection_id",
            "description",
            "period_start",
            "period_end",
            "quantity",
            "unit_price",
            "amount",
        )
    ):
        current_lines[row[0]].append(row[1:])
    to_create = [
        Invoice(tenant_id=tid, month=month, currency=plans[tid].currency, through_day=cutoff)
        for tid in sorted(desired)
        if tid not in existing and desired[tid]
    ]
    Invoice.objects.bulk_create(to_create)
    result.invoices_created = len(to_create)
    for invoice in to_create:
        existing[invoice.tenant_id] = invoice
    changed: list[Invoice] = []
    new_lines: list[InvoiceLine] = []
    for tid, invoice in existing.items():
        if invoice.status != Invoice.Status.DRAFT:
            continue
        lines = desired.get(tid, [])
        total = sum((line[7] for line in lines), Decimal("0.00"))
        if current_lines.get(invoice.pk, []) == lines and invoice.total == total:
            result.invoices_unchanged += 1
            continue
        invoice.total = total
        changed.append(invoice)
        new_lines.extend(
            InvoiceLine(
                invoice=invoice,
                position=pos,
                kind=line[0],
                connection_id=line[1],
                description=line[2],
                period_start=line[3],
                period_end=line[4],
                quantity=line[5],
                unit_price=line[6],
                amount=line[7],
            )
            for pos, line in enumerate(lines, 1)
        )
    InvoiceLine.objects.filter(invoice_id__in=[i.pk for i in changed]).delete()
    InvoiceLine.objects.bulk_create(new_lines, batch_size=2000)
    Invoice.objects.bulk_update(changed, ["total"], batch_size=1000)
    # Lines change rarely after the first run of a month; the cutoff moves daily, in one UPDATE.
    Invoice.objects.filter(month=month, status=Invoice.Status.DRAFT).exclude(through_day=cutoff).update(
        through_day=cutoff, updated_at=timezone.now()
    )
    created_ids = {i.pk for i in to_create}
    result.invoices_updated = len([i for i in changed if i.pk not in created_ids])


def _invoices_issue_month(*, month: date, now: datetime) -> list[str]:
    """Issue every non-zero draft of the month in tenant-slug order, numbering them in one pass."""
    drafts = list(
        Invoice.objects.select_for_update()
        .filter(month=month, status=Invoice.Status.DRAFT, total__gt=0)
        .select_related("tenant")
        .order_by("tenant__slug")
    )
    if not drafts:
        return []
    prefix = f"INV-{month:%Y-%m}-"
    taken = Invoice.objects.select_for_update().filter(number__startswith=prefix).values_list("number", flat=True)
    sequence = max((int(n.rsplit("-", 1)[1]) for n in taken), default=0)
    due = now + timedelta(days=settings.BILLING_PAYMENT_TERMS_DAYS)
    for invoice in drafts:
        sequence += 1
        invoice.number = f"{prefix}{sequence:04d}"
        invoice.status = Invoice.Status.ISSUED
        invoice.issued_at = now
        invoice.due_at = due
        invoice.updated_at = now
    Invoice.objects.bulk_update(drafts, ["number", "status", "issued_at", "due_at", "updated_at"], batch_size=1000)
    AuditLogEntry.objects.bulk_create(
        [
            AuditLogEntry(tenant=i.tenant, action="invoice.issued", target=i.number, actor_label="billing", detail={})
            for i in drafts
        ],
        batch_size=1000,
    )
    return [i.number for i in drafts]


# --- Invoices --------------------------------------------------------------------------------------


@transaction.atomic
def invoice_issue(*, invoice: Invoice, now: datetime | None = None, actor_user=None) -> Invoice:
    """Issue a draft: give it the month's next number (INV-YYYY-MM-NNNN) and a due date."""
    now = now or timezone.now()
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != Invoice.Status.DRAFT:
        raise Conflict(f"Only a draft can be issued; this invoice is {invoice.status}.", code="invoice_not_draft")
    prefix = f"INV-{invoice.month:%Y-%m}-"
    # Serialise numbering per month: every issuer locks the month's numbered invoices first.
    taken = list(Invoice.objects.select_for_update().filter(number__startswith=prefix).values_list("number", flat=True))
    sequence = max((int(n.rsplit("-", 1)[1]) for n in taken), default=0) + 1
    invoice.number = f"{prefix}{sequence:04d}"
    invoice.status = Invoice.Status.ISSUED
    invoice.issued_at = now
    invoice.due_at = now + timedelta(days=settings.BILLING_PAYMENT_TERMS_DAYS)
    invoice.save(update_fields=["number", "status", "issued_at", "due_at", "updated_at"])
    audit_record(tenant=invoice.tenant, action="invoice.issued", target=invoice.number, actor_user=actor_user)
    return invoice


@transaction.atomic
def invoice_mark_paid(*, invoice: Invoice, now: datetime | None = None, actor_user=None) -> Invoice:
    """Record payment of an issued invoice; lifts an automatic overdue suspension if nothing else is overdue."""
    now = now or timezone.now()
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related("tenant").get(pk=invoice.pk)
    if invoice.status == Invoice.Status.PAID:
        return invoice
    if invoice.status != Invoice.Status.ISSUED:
        raise Conflict(f"Only an issued invoice can be paid; this one is {invoice.status}.", code="invoice_not_issued")
    invoice.status = Invoice.Status.PAID
    invoice.paid_at = now
    invoice.save(update_fields=["status", "paid_at", "updated_at"])
    audit_record(tenant=invoice.tenant, action="invoice.paid", target=invoice.number, actor_user=actor_user)
    tenant = invoice.tenant
    if (
        tenant.status == Tenant.Status.SUSPENDED
        and tenant.suspended_reason.startswith(AUTO_SUSPEND_REASON_PREFIX)
        and not _overdue_invoices(now).filter(tenant=tenant).exists()
    ):
        tenant_set_suspended(tenant=tenant, suspended=False, actor_label="billing")
    return invoice


@transaction.atomic
def invoice_void(*, invoice: Invoice, now: datetime | None = None, actor_user=None) -> Invoice:
    """Void a draft or issued invoice (its number is never reused); the next run drafts the month afresh."""
    now = now or timezone.now()
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status == Invoice.Status.VOID:
        return invoice
    if invoice.status == Invoice.Status.PAID:
        raise Conflict("A paid invoice cannot be voided.", code="invoice_paid")
    invoice.status = Invoice.Status.VOID
    invoice.voided_at = now
    invoice.save(update_fields=["status", "voided_at", "updated_at"])
    audit_record(
        tenant=invoice.tenant,
        action="invoice.voided",
        target=invoice.number or f"draft {invoice.pk}",
        actor_user=actor_user,
    )
    return invoice


# --- Alerts and suspension -------------------------------------------------------------------------


def bandwidth_alerts_check(*, month: date) -> int:
    """Notice + email when a live connection passes 80 % and 100 % of its included bandwidth, once each per month."""
    default_included = settings.BILLING_INCLUDED_BYTES_PER_MONTH
    included = Coalesce(
        Subquery(PricePlan.objects.filter(tenant_id=OuterRef("tenant_id")).values("included_bytes_per_month")[:1]),
        Value(default_included),
        output_field=BigIntegerField(),
    )
    # Only rows at or above the lowest threshold leave the database.
    usage = list(
        UsageMonth.objects.filter(month=month, environment=Environment.LIVE)
        .annotate(included=included)
        .filter(included__gt=0)
        .filter(included__lte=(F("bytes_in") + F("bytes_out")) * 100 / ALERT_THRESHOLDS[0])
        .select_related("connection", "tenant")
        .order_by("connection_id")
    )
    plans = plans_for({u.tenant_id for u in usage})
    prefix = f"bandwidth:{month:%Y-%m}:"
    raised = set(Notice.objects.filter(dedup_key__startswith=prefix).values_list("dedup_key", flat=True))
    due = []
    for u in usage:
        included = plans[u.tenant_id].included_bytes
        for threshold in ALERT_THRESHOLDS:
            key = f"{prefix}{u.connection.public_id}:{threshold}"
            if included > 0 and u.bytes_total * 100 >= included * threshold and key not in raised:
                due.append((u, threshold, key, included))
    if not due:
        return 0
    owners = defaultdict(list)
    for tenant_id, email in (
        Membership.objects.filter(tenant_id__in={u.tenant_id for u, *_ in due}, role=Membership.Role.OWNER)
        .exclude(user__email="")
        .values_list("tenant_id", "user__email")
    ):
        owners[tenant_id].append(email)
    for u, threshold, key, included in due:
        message = (
            f"Connection {u.connection.name} ({u.connection.public_id}) has used {threshold}% of its included "
            f"bandwidth for {month:%B %Y}: {u.bytes_total:,} of {included:,} bytes."
        )
        if threshold >= 100:
            message += " Further usage is billed as overage."
        notice_raise(
            tenant=u.tenant,
            kind="bandwidth",
            level=Notice.Level.CRITICAL if threshold >= 100 else Notice.Level.WARNING,
            environment=u.environment,
            message=message,
            dedup_key=key,
        )
        recipients = [u.tenant.billing_email] if u.tenant.billing_email else owners[u.tenant_id]
        if recipients:
            send_mail(
                subject=f"API bandwidth at {threshold}% for {u.connection.name}",
                message=message,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=recipients,
                fail_silently=True,
            )
    return len(due)


def _overdue_invoices(now: datetime):
    days = settings.BILLING_AUTO_SUSPEND_OVERDUE_DAYS
    return Invoice.objects.filter(status=Invoice.Status.ISSUED, due_at__lt=now - timedelta(days=days or 0))


def overdue_tenants_suspend(*, now: datetime | None = None) -> list[str]:
    """Suspend active tenants with an invoice past due by BILLING_AUTO_SUSPEND_OVERDUE_DAYS (off when unset)."""
    if settings.BILLING_AUTO_SUSPEND_OVERDUE_DAYS is None:
        return []
    now = now or timezone.now()
    suspended = []
    for invoice in (
        _overdue_invoices(now).filter(tenant__status=Tenant.Status.ACTIVE).select_related("tenant").order_by("due_at")
    ):
        if invoice.tenant.slug in suspended:
            continue
        tenant_set_suspended(
            tenant=invoice.tenant,
            suspended=True,
            reason=f"{AUTO_SUSPEND_REASON_PREFIX} {invoice.number} is past due.",
            actor_label="billing",
        )
        suspended.append(invoice.tenant.slug)
    return suspended
