"""Staff admin for billing: usage by day and month, price plans, invoices, and policy monitoring per connection.

Actions call services (invoice_issue / invoice_mark_paid / invoice_void /
billing_run_range, tenants.services suspension); nothing here computes money.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.contrib import admin, messages
from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing import services
from billing.models import ConnectionMonitor, Invoice, InvoiceLine, PricePlan, UsageDay, UsageMonth
from config.api.errors import ApiError
from tenants import services as tenant_services
from tenants.models import ApiConnection, PolicyEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rollups are written by the flush and the nightly run only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(UsageDay)
class UsageDayAdmin(ReadOnlyAdmin):
    list_display = ["day", "tenant", "connection", "environment", "requests", "errors_4xx", "errors_5xx",
                    "bytes_in", "bytes_out", "token_mints", "auth_failures"]  # fmt: skip
    list_filter = ["environment", "day"]
    date_hierarchy = "day"
    search_fields = ["tenant__slug", "connection__public_id", "connection__name"]
    list_select_related = ["tenant", "connection"]
    ordering = ["-day", "-bytes_out"]


@admin.register(UsageMonth)
class UsageMonthAdmin(ReadOnlyAdmin):
    list_display = ["month", "tenant", "connection", "environment", "through_day", "requests", "bytes_in",
                    "bytes_out", "bytes_total_display"]  # fmt: skip
    list_filter = ["environment", "month"]
    search_fields = ["tenant__slug", "connection__public_id", "connection__name"]
    list_select_related = ["tenant", "connection"]
    ordering = ["-month", "-bytes_out"]

    @admin.display(description="Bytes total")
    def bytes_total_display(self, obj):
        return f"{obj.bytes_total:,}"


@admin.register(PricePlan)
class PricePlanAdmin(admin.ModelAdmin):
    list_display = ["tenant", "weekly_connection_fee", "included_bytes_per_month", "overage_price_per_gb", "note"]
    search_fields = ["tenant__slug", "tenant__name"]
    autocomplete_fields = ["tenant"]


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    fields = ["position", "kind", "description", "period_start", "period_end", "quantity", "unit_price", "amount"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "tenant", "month", "status", "total", "currency", "through_day", "issued_at", "due_at"]
    list_filter = ["status", "month"]
    search_fields = ["number", "tenant__slug", "tenant__name"]
    list_select_related = ["tenant"]
    readonly_fields = [
        "tenant", "month", "status", "number", "currency", "total", "through_day",
        "issued_at", "due_at", "paid_at", "voided_at", "created_at", "updated_at",
    ]  # fmt: skip
    inlines = [InvoiceLineInline]
    actions = ["issue", "mark_paid", "void", "rerun_billing"]

    def has_add_permission(self, request):
        return False

    def _each(self, request, queryset, func, verb):
        done = 0
        for invoice in queryset.order_by("tenant__slug"):
            try:
                func(invoice=invoice, actor_user=request.user)
                done += 1
            except ApiError as error:
                self.message_user(request, f"{invoice}: {error.message}", messages.WARNING)
        self.message_user(request, f"{verb} {done} invoice(s).", messages.SUCCESS)

    @admin.action(description="Issue the selected draft invoices")
    def issue(self, request, queryset):
        self._each(request, queryset, services.invoice_issue, "Issued")

    @admin.action(description="Mark the selected invoices paid")
    def mark_paid(self, request, queryset):
        self._each(request, queryset, services.invoice_mark_paid, "Marked paid")

    @admin.action(description="Void the selected invoices")
    def void(self, request, queryset):
        self._each(request, queryset, services.invoice_void, "Voided")

    @admin.action(description="Re-run billing for the selected invoices' months (up to yesterday)")
    def rerun_billing(self, request, queryset):
        yesterday = timezone.now().date() - timedelta(days=1)
        months = sorted(set(queryset.values_list("month", flat=True)))
        services.usage_flush()
        for month in months:
            end = min(services.month_end(month), yesterday)
            if end >= month:
                services.billing_run_range(start=month, end=end)
        self.message_user(request, f"Re-ran billing for {len(months)} month(s).", messages.SUCCESS)


def _connection_sum(queryset, expression):
    """Correlated SUM over a usage table for the outer connection (0 when none)."""
    sub = queryset.filter(connection=OuterRef("pk")).order_by().values("connection").annotate(s=expression)
    return Coalesce(Subquery(sub.values("s")[:1], output_field=IntegerField()), Value(0))


def _policy_count(kind: str, since):
    sub = (
        PolicyEvent.objects.filter(connection=OuterRef("pk"), kind=kind, created_at__gte=since)
        .order_by()
        .values("connection")
        .annotate(c=Count("id"))
    )
    return Coalesce(Subquery(sub.values("c")[:1], output_field=IntegerField()), Value(0))


@admin.register(ConnectionMonitor)
class ConnectionMonitorAdmin(admin.ModelAdmin):
    """Who uses what: heaviest connections first; policy deviations over the last 30 days.

    Edit "inventory full poll interval" inline to approve more frequent full
    inventory polling for a connection.
    """

    list_display = ["public_id", "name", "tenant", "environment", "status", "bytes_this_month_display",
                    "bytes_last_month_display", "requests_24h", "requests_per_min_24h", "token_mints_too_soon_30d",
                    "inventory_polls_refused_30d", "inventory_full_poll_interval_seconds"]  # fmt: skip
    list_editable = ["inventory_full_poll_interval_seconds"]
    list_filter = ["environment", "status"]
    search_fields = ["public_id", "name", "tenant__slug"]
    list_select_related = ["tenant"]
    actions = ["suspend", "unsuspend", "suspend_tenant", "unsuspend_tenant"]
    fields = ["public_id", "name", "tenant", "environment", "status", "inventory_full_poll_interval_seconds"]
    readonly_fields = ["public_id", "name", "tenant", "environment", "status"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        from billing.models import UsageHour

        now = timezone.now()
        this_month = services.month_start(now.date())
        last_month = services.month_start(this_month - timedelta(days=1))
        month_start_dt = datetime.combine(this_month, time.min, tzinfo=UTC)
        bytes_sum = Sum(F("bytes_in") + F("bytes_out"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                bytes_this_month=_connection_sum(UsageHour.objects.filter(hour__gte=month_start_dt), bytes_sum),
                bytes_last_month=_connection_sum(UsageMonth.objects.filter(month=last_month), bytes_sum),
                requests_last_24h=_connection_sum(
                    UsageHour.objects.filter(hour__gte=now - timedelta(hours=24)), Sum("requests")
                ),
                mints_too_soon=_policy_count(PolicyEvent.Kind.TOKEN_MINT_TOO_SOON, now - timedelta(days=30)),
                polls_refused=_policy_count(PolicyEvent.Kind.INVENTORY_POLL_REFUSED, now - timedelta(days=30)),
            )
            .order_by("-bytes_this_month", "public_id")
        )

    @admin.display(description="Bytes this month", ordering="bytes_this_month")
    def bytes_this_month_display(self, obj):
        return f"{obj.bytes_this_month:,}"

    @admin.display(description="Bytes last month", ordering="bytes_last_month")
    def bytes_last_month_display(self, obj):
        return f"{obj.bytes_last_month:,}"

    @admin.display(description="Requests 24h", ordering="requests_last_24h")
    def requests_24h(self, obj):
        return obj.requests_last_24h

    @admin.display(description="Req/min (24h avg)", ordering="requests_last_24h")
    def requests_per_min_24h(self, obj):
        return round(obj.requests_last_24h / 1440, 2)

    @admin.display(description="Token mints < 30 min (30d)", ordering="mints_too_soon")
    def token_mints_too_soon_30d(self, obj):
        return obj.mints_too_soon

    @admin.display(description="Inventory polls refused (30d)", ordering="polls_refused")
    def inventory_polls_refused_30d(self, obj):
        return obj.polls_refused

    @admin.action(description="Suspend the selected connections")
    def suspend(self, request, queryset):
        for connection in queryset.exclude(status=ApiConnection.Status.REVOKED):
            tenant_services.connection_set_suspended(
                connection=connection,
                suspended=True,
                reason="Suspended by staff (usage policy)",
                actor_user=request.user,
            )
        self.message_user(request, "Suspended.", messages.SUCCESS)

    @admin.action(description="Lift suspension for the selected connections")
    def unsuspend(self, request, queryset):
        for connection in queryset.exclude(status=ApiConnection.Status.REVOKED):
            tenant_services.connection_set_suspended(connection=connection, suspended=False, actor_user=request.user)
        self.message_user(request, "Restored.", messages.SUCCESS)

    @admin.action(description="Suspend the whole tenant of the selected connections")
    def suspend_tenant(self, request, queryset):
        for tenant in {c.tenant for c in queryset}:
            tenant_services.tenant_set_suspended(
                tenant=tenant, suspended=True, reason="Suspended by staff (usage policy)", actor_user=request.user
            )
        self.message_user(request, "Tenant(s) suspended.", messages.SUCCESS)

    @admin.action(description="Lift the tenant suspension of the selected connections")
    def unsuspend_tenant(self, request, queryset):
        for tenant in {c.tenant for c in queryset}:
            tenant_services.tenant_set_suspended(tenant=tenant, suspended=False, actor_user=request.user)
        self.message_user(request, "Tenant(s) restored.", messages.SUCCESS)
