"""Billing data: hourly usage rollups, their flush ledger, daily and monthly usage, price plans, invoices.

See billing/README.md for the pricing rules (what a GB is, how partial GBs and
weeks are charged) and billing/metering.py for what is counted per request.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from tenants.models import ApiConnection, Environment, Tenant

# Upper bounds (ms) of the fixed latency histogram buckets; the last bucket is open-ended.
LATENCY_BUCKETS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
LATENCY_FIELDS = tuple(f"lat_{i}" for i in range(len(LATENCY_BUCKETS_MS) + 1))
# Counters summed by every rollup, in the order the flush writes them.
COUNTER_FIELDS = (
    "requests",
    "errors_4xx",
    "errors_5xx",
    "bytes_in",
    "bytes_out",
    "duration_ms",
    "token_mints",
    "auth_failures",
    *LATENCY_FIELDS,
)


class UsageCounters(models.Model):
    """Abstract block of counters shared by the hourly and daily rollups."""

    requests = models.BigIntegerField(default=0)
    errors_4xx = models.BigIntegerField(default=0)
    errors_5xx = models.BigIntegerField(default=0)
    bytes_in = models.BigIntegerField(default=0)
    bytes_out = models.BigIntegerField(default=0)
    duration_ms = models.BigIntegerField(default=0, help_text="Sum of request durations, for the mean.")
    token_mints = models.BigIntegerField(default=0)
    auth_failures = models.BigIntegerField(default=0)

    class Meta:
        abstract = True

    @property
    def bytes_total(self) -> int:
        return self.bytes_in + self.bytes_out


class LatencyHistogram(models.Model):
    """Abstract block: request counts per latency bucket (lat_i counts durations <= LATENCY_BUCKETS_MS[i])."""

    lat_0 = models.BigIntegerField(default=0)
    lat_1 = models.BigIntegerField(default=0)
    lat_2 = models.BigIntegerField(default=0)
    lat_3 = models.BigIntegerField(default=0)
    lat_4 = models.BigIntegerField(default=0)
    lat_5 = models.BigIntegerField(default=0)
    lat_6 = models.BigIntegerField(default=0)
    lat_7 = models.BigIntegerField(default=0)
    lat_8 = models.BigIntegerField(default=0)
    lat_9 = models.BigIntegerField(default=0)
    lat_10 = models.BigIntegerField(default=0)
    lat_11 = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class UsageHour(UsageCounters, LatencyHistogram):
    """Usage of one connection in one UTC hour for one endpoint group (orders, inventory, auth, …).

    Written only by `billing.services.usage_flush` with an additive upsert; the
    latency histogram columns `lat_0…lat_11` count requests per bucket of
    LATENCY_BUCKETS_MS.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    connection = models.ForeignKey(ApiConnection, on_delete=models.CASCADE, related_name="+")
    environment = models.CharField(max_length=8, choices=Environment.choices)
    hour = models.DateTimeField()
    endpoint_group = models.CharField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "hour", "endpoint_group"], name="usagehour_unique_bucket")
        ]
        indexes = [
            models.Index(fields=["hour", "connection"], name="usagehour_hour_conn"),
            models.Index(fields=["tenant", "environment", "hour"], name="usagehour_tenant_env_hour"),
        ]

    def __str__(self) -> str:
        return f"{self.connection_id} {self.hour:%Y-%m-%d %H}h {self.endpoint_group}"


class UsageFlush(models.Model):
    """Ledger of applied accumulator batches: a batch id present here was already added to UsageHour.

    The flush inserts this row in the same transaction as its upserts, so a
    retried or doubled flush of the same batch changes nothing.
    """

    batch_id = models.CharField(max_length=200, unique=True)
    rows = models.PositiveIntegerField(default=0)
    flushed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.batch_id


class UsageDay(UsageCounters, LatencyHistogram):
    """A connection's usage for one UTC day, rebuilt from UsageHour by the nightly run (all groups)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    connection = models.ForeignKey(ApiConnection, on_delete=models.CASCADE, related_name="+")
    environment = models.CharField(max_length=8, choices=Environment.choices)
    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "day"], name="usageday_unique")]
        indexes = [
            models.Index(fields=["tenant", "environment", "day"], name="usageday_tenant_env_day"),
            models.Index(fields=["day"], name="usageday_day"),
        ]

    def __str__(self) -> str:
        return f"{self.connection_id} {self.day}"


class UsageMonth(models.Model):
    """Month-to-date usage of a connection (sum of its UsageDay rows), updated by the nightly run."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    connection = models.ForeignKey(ApiConnection, on_delete=models.CASCADE, related_name="+")
    environment = models.CharField(max_length=8, choices=Environment.choices)
    month = models.DateField(help_text="First day of the month.")
    through_day = models.DateField(help_text="Last day included.")
    requests = models.BigIntegerField(default=0)
    errors_4xx = models.BigIntegerField(default=0)
    errors_5xx = models.BigIntegerField(default=0)
    bytes_in = models.BigIntegerField(default=0)
    bytes_out = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "month"], name="usagemonth_unique")]
        indexes = [models.Index(fields=["tenant", "environment", "month"], name="usagemonth_tenant_env_month")]

    def __str__(self) -> str:
        return f"{self.connection_id} {self.month:%Y-%m}"

    @property
    def bytes_total(self) -> int:
        return self.bytes_in + self.bytes_out


class PricePlan(models.Model):
    """A tenant's negotiated prices; an empty field falls back to the default plan in settings."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="price_plan")
    weekly_connection_fee = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    included_bytes_per_month = models.BigIntegerField(
        null=True, blank=True, help_text="Per live connection per calendar month (1 GB = 1,000,000,000 bytes)."
    )
    overage_price_per_gb = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Price plan of {self.tenant}"


class EffectivePlan:
    """The prices that apply to one tenant: its PricePlan fields or the defaults from settings."""

    def __init__(self, plan: PricePlan | None = None):
        self.weekly_connection_fee: Decimal = (
            plan.weekly_connection_fee
            if plan and plan.weekly_connection_fee is not None
            else settings.BILLING_WEEKLY_CONNECTION_FEE
        )
        self.included_bytes: int = (
            plan.included_bytes_per_month
            if plan and plan.included_bytes_per_month is not None
            else settings.BILLING_INCLUDED_BYTES_PER_MONTH
        )
        self.overage_price_per_gb: Decimal = (
            plan.overage_price_per_gb
            if plan and plan.overage_price_per_gb is not None
            else settings.BILLING_OVERAGE_PRICE_PER_GB
        )
        self.currency: str = settings.BILLING_CURRENCY


class Invoice(models.Model):
    """A tenant's invoice for one calendar month: a draft rebuilt nightly, issued at month end."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ISSUED = "issued", "Issued"
        PAID = "paid", "Paid"
        VOID = "void", "Void"

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="invoices")
    month = models.DateField(help_text="First day of the billed month.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    number = models.CharField(max_length=32, unique=True, null=True, blank=True)
    currency = models.CharField(max_length=3, default="CAD")
    total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    through_day = models.DateField(null=True, blank=True, help_text="Usage included up to this day.")
    issued_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-month", "tenant_id"]
        constraints = [
            # One live (non-void) invoice per tenant and month; a voided one may be replaced.
            models.UniqueConstraint(
                fields=["tenant", "month"], condition=~models.Q(status="void"), name="invoice_one_per_month"
            )
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="invoice_status_due")]

    def __str__(self) -> str:
        return self.number or f"Draft {self.month:%Y-%m} {self.tenant.slug}"


class InvoiceLine(models.Model):
    """One charge: a connection's fee for one week, or its overage for the month."""

    class Kind(models.TextChoices):
        CONNECTION_WEEK = "connection_week", "Connection fee (week)"
        OVERAGE = "overage", "Bandwidth overage"

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    connection = models.ForeignKey(ApiConnection, on_delete=models.PROTECT, null=True, related_name="+")
    description = models.CharField(max_length=300)
    period_start = models.DateField()
    period_end = models.DateField()
    quantity = models.DecimalField(max_digits=20, decimal_places=9)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["invoice_id", "position"]
        constraints = [models.UniqueConstraint(fields=["invoice", "position"], name="invoiceline_unique_position")]

    def __str__(self) -> str:
        return self.description


class ConnectionMonitor(ApiConnection):
    """Staff's policy-monitoring view of connections (admin only; same rows as ApiConnection)."""

    class Meta:
        proxy = True
        verbose_name = "connection usage & policy"
        verbose_name_plural = "connection usage & policy"
