"""Nightly billing: weeks, overage, month boundaries, idempotency, issuing, alerts, suspension."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import CommandError, call_command

from billing import selectors, services
from billing.models import Invoice, InvoiceLine, PricePlan, UsageDay, UsageHour, UsageMonth
from config.api.errors import Conflict
from tenants import services as tenant_services
from tenants.models import ApiConnection, Notice, Tenant
from tests.factories import make_connection

pytestmark = pytest.mark.django_db

GB = 10**9
LONG_AGO = datetime(2026, 9, 1, tzinfo=UTC)
NOV = date(2026, 11, 1)
NOV_WEEKS = [date(2026, 10, 26), date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)]


def live_connection(tenant, name, *, created=LONG_AGO, revoked=None, environment="live") -> ApiConnection:
    connection = make_connection(tenant, environment, name=name).connection
    updates = {"created_at": created}
    if revoked:
        updates.update(revoked_at=revoked, status=ApiConnection.Status.REVOKED)
    ApiConnection.objects.filter(pk=connection.pk).update(**updates)
    connection.refresh_from_db()
    return connection


def use(connection, hour: datetime, bytes_in: int, bytes_out: int = 0, group: str = "orders", requests: int = 1):
    UsageHour.objects.create(
        tenant_id=connection.tenant_id,
        connection=connection,
        environment=connection.environment,
        hour=hour,
        endpoint_group=group,
        requests=requests,
        bytes_in=bytes_in,
        bytes_out=bytes_out,
    )


def run(start: date, end: date):
    return services.billing_run_range(start=start, end=end)


def lines_of(invoice) -> list[tuple]:
    return [
        (line.kind, line.connection_id, line.period_start, line.quantity, line.unit_price, line.amount)
        for line in selectors.invoice_lines(invoice)
    ]


def snapshot():
    invoices = list(Invoice.objects.order_by("pk").values())
    lines = list(InvoiceLine.objects.order_by("pk").values())
    days = list(UsageDay.objects.order_by("pk").values())
    months = list(UsageMonth.objects.order_by("pk").values())
    return invoices, lines, days, months


def test_billing_weeks_are_those_whose_sunday_is_in_the_month():
    assert services.billing_weeks(NOV) == NOV_WEEKS
    assert services.billing_weeks(date(2026, 12, 1)) == [
        date(2026, 11, 30),
        date(2026, 12, 7),
        date(2026, 12, 14),
        date(2026, 12, 21),
    ]


def test_invoice_amounts_just_under_exactly_at_and_over_one_gb(tenant):
    under = live_connection(tenant, "Under")
    exact = live_connection(tenant, "Exact")
    over = live_connection(tenant, "Over")
    use(under, datetime(2026, 11, 3, 10, tzinfo=UTC), GB - 1 - 400, 400)
    use(exact, datetime(2026, 11, 3, 10, tzinfo=UTC), GB // 2, 0)
    use(exact, datetime(2026, 11, 20, 23, tzinfo=UTC), 0, GB // 2)
    use(over, datetime(2026, 11, 5, 0, tzinfo=UTC), GB, GB // 2 + 1)

    run(NOV, date(2026, 11, 30))

    invoice = Invoice.objects.get(tenant=tenant, month=NOV)
    fee = Decimal("25.00")
    expected = []
    for conn in sorted([under, exact, over], key=lambda c: c.public_id):
        expected += [("connection_week", conn.pk, week, Decimal("1"), fee, fee) for week in NOV_WEEKS]
        if conn == over:
            expected.append(("overage", over.pk, NOV, Decimal("0.500000001"), Decimal("225.00"), Decimal("112.50")))
    assert lines_of(invoice) == expected
    assert invoice.total == Decimal("487.50")
    assert invoice.currency == "CAD"
    assert invoice.status == Invoice.Status.ISSUED
    assert invoice.number == "INV-2026-11-0001"
    months = {m.connection_id: m.bytes_total for m in UsageMonth.objects.filter(month=NOV)}
    assert months == {under.pk: GB - 1, exact.pk: GB, over.pk: GB + GB // 2 + 1}


def test_overage_is_pro_rata_and_rounded_half_up_once_per_line(tenant):
    PricePlan.objects.create(
        tenant=tenant,
        weekly_connection_fee=Decimal("10.00"),
        included_bytes_per_month=0,
        overage_price_per_gb=Decimal("1.00"),
    )
    conn = live_connection(tenant, "Plan")
    # 2.5 MB on each of two days: 0.0025 per day would round to 0.00 twice; the month line is 0.005 → 0.01.
    use(conn, datetime(2026, 11, 2, 8, tzinfo=UTC), 2_500_000)
    use(conn, datetime(2026, 11, 3, 8, tzinfo=UTC), 2_500_000)

    run(NOV, date(2026, 11, 30))

    invoice = Invoice.objects.get(tenant=tenant)
    overage = invoice.lines.get(kind="overage")
    assert (overage.quantity, overage.unit_price, overage.amount) == (
        Decimal("0.005000000"),
        Decimal("1.00"),
        Decimal("0.01"),
    )
    assert invoice.total == Decimal("50.01")


def test_connection_created_mid_week_and_revoked_mid_week(tenant):
    created_wed = live_connection(tenant, "New", created=datetime(2026, 11, 11, 12, tzinfo=UTC))
    revoked_wed = live_connection(tenant, "Gone", revoked=datetime(2026, 11, 4, 9, tzinfo=UTC))
    revoked_mon = live_connection(tenant, "Gone Monday", revoked=datetime(2026, 11, 9, 0, tzinfo=UTC))
    created_last_monday = live_connection(tenant, "Late", created=datetime(2026, 11, 30, 0, tzinfo=UTC))

    run(NOV, date(2026, 11, 30))

    weeks = {}
    for line in Invoice.objects.get(tenant=tenant).lines.all():
        weeks.setdefault(line.connection_id, []).append(line.period_start)
    assert weeks == {
        created_wed.pk: [date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)],
        revoked_wed.pk: [date(2026, 10, 26), date(2026, 11, 2)],
        revoked_mon.pk: [date(2026, 10, 26), date(2026, 11, 2)],
    }
    assert created_last_monday.pk not in weeks  # its first week ends on Sunday 6 December: December's invoice


def test_month_boundary_is_utc_for_usage_and_weeks(tenant):
    conn = live_connection(tenant, "Edge", created=datetime(2026, 11, 30, 0, tzinfo=UTC))
    use(conn, datetime(2026, 11, 30, 23, tzinfo=UTC), 700)
    use(conn, datetime(2026, 12, 1, 0, tzinfo=UTC), 300)

    run(date(2026, 11, 30), date(2026, 12, 1))

    assert UsageMonth.objects.get(connection=conn, month=NOV).bytes_in == 700
    assert UsageMonth.objects.get(connection=conn, month=date(2026, 12, 1)).bytes_in == 300
    assert UsageDay.objects.get(connection=conn, day=date(2026, 11, 30)).bytes_in == 700
    assert not Invoice.objects.filter(tenant=tenant, month=NOV).exists()
    december = Invoice.objects.get(tenant=tenant, month=date(2026, 12, 1))
    assert december.status == Invoice.Status.DRAFT
    assert [line.period_start for line in december.lines.all()] == [date(2026, 11, 30)]


def test_running_nightly_billing_twice_gives_identical_invoices(tenant, other_tenant):
    a = live_connection(tenant, "A")
    b = live_connection(other_tenant, "B", created=datetime(2026, 11, 18, tzinfo=UTC))
    use(a, datetime(2026, 11, 10, 1, tzinfo=UTC), 3 * GB)
    use(b, datetime(2026, 11, 19, 1, tzinfo=UTC), GB + 7)
    run(NOV, date(2026, 11, 20))
    first_draft = snapshot()

    result = services.billing_run_day(day=date(2026, 11, 20))

    assert snapshot() == first_draft
    assert (result.invoices_created, result.invoices_updated, result.invoices_unchanged) == (0, 0, 2)

    run(date(2026, 11, 21), date(2026, 11, 30))
    issued = snapshot()
    run(NOV, date(2026, 11, 30))
    assert snapshot() == issued
    numbers = sorted(Invoice.objects.values_list("tenant__slug", "number"))
    assert numbers == [("acme", "INV-2026-11-0001"), ("globex", "INV-2026-11-0002")]


def test_draft_grows_through_the_month_and_is_issued_after_its_last_day(tenant):
    conn = live_connection(tenant, "Steady")
    run(NOV, date(2026, 11, 10))
    draft = selectors.invoices_for(tenant=tenant)[0]
    assert (draft.status, draft.number, draft.through_day) == ("draft", None, date(2026, 11, 10))
    assert [line.period_start for line in draft.lines.all()] == NOV_WEEKS[:3]
    assert draft.total == Decimal("75.00")

    issued_at = datetime(2026, 12, 1, 2, 5, tzinfo=UTC)
    services.billing_run_day(day=date(2026, 11, 30), now=issued_at)

    invoice = Invoice.objects.get(pk=draft.pk)
    assert invoice.status == Invoice.Status.ISSUED
    assert invoice.total == Decimal("125.00")
    assert invoice.issued_at == issued_at
    assert invoice.due_at == issued_at + timedelta(days=30)
    assert conn.pk in set(invoice.lines.values_list("connection_id", flat=True))


def test_sandbox_traffic_is_metered_and_shown_but_never_billed(tenant):
    live = live_connection(tenant, "Live ERP")
    sandbox = live_connection(tenant, "Sandbox ERP", environment="sandbox")
    use(sandbox, datetime(2026, 11, 4, 4, tzinfo=UTC), 5 * GB, GB)

    run(NOV, date(2026, 11, 30))

    invoice = Invoice.objects.get(tenant=tenant)
    assert set(invoice.lines.values_list("connection_id", flat=True)) == {live.pk}
    assert invoice.total == Decimal("125.00")
    assert UsageMonth.objects.get(connection=sandbox).bytes_total == 6 * GB
    shown = selectors.usage_month_by_connection(tenant=tenant, environment="sandbox", month=NOV)
    assert [(r["connection_id"], r["bytes_total"], r["projected_overage"], r["included_bytes"]) for r in shown] == [
        (sandbox.public_id, 6 * GB, Decimal("0.00"), 0)
    ]


def test_bandwidth_alerts_fire_once_at_80_and_once_at_100_percent(tenant):
    tenant.billing_email = "ap@acme.example"
    tenant.save()
    conn = live_connection(tenant, "Heavy")
    use(conn, datetime(2026, 11, 2, 1, tzinfo=UTC), 790_000_000)
    services.billing_run_day(day=date(2026, 11, 2))
    assert Notice.objects.filter(kind="bandwidth").count() == 0

    use(conn, datetime(2026, 11, 3, 1, tzinfo=UTC), 10_000_000)  # exactly 80 %
    services.billing_run_day(day=date(2026, 11, 3))
    services.billing_run_day(day=date(2026, 11, 3))
    use(conn, datetime(2026, 11, 4, 1, tzinfo=UTC), 100_000_000)
    services.billing_run_day(day=date(2026, 11, 4))
    assert list(Notice.objects.filter(kind="bandwidth").values_list("dedup_key", flat=True)) == [
        f"bandwidth:2026-11:{conn.public_id}:80"
    ]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ap@acme.example"]
    assert "80%" in mail.outbox[0].subject

    use(conn, datetime(2026, 11, 5, 1, tzinfo=UTC), 100_000_000)  # 1,000,000,000: 100 %
    services.billing_run_day(day=date(2026, 11, 5))
    services.billing_run_day(day=date(2026, 11, 6))
    assert sorted(Notice.objects.filter(kind="bandwidth").values_list("dedup_key", flat=True)) == [
        f"bandwidth:2026-11:{conn.public_id}:100",
        f"bandwidth:2026-11:{conn.public_id}:80",
    ]
    assert len(mail.outbox) == 2
    assert "100%" in mail.outbox[1].subject


def test_suspension_blocks_the_api_and_lifting_it_restores_access(live, tenant):
    connection = live.issued.connection
    assert live.get("/v1/warehouses").status_code == 200

    tenant_services.connection_set_suspended(connection=connection, suspended=True, reason="policy")
    response = live.get("/v1/warehouses")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "connection_suspended")
    tenant_services.connection_set_suspended(connection=connection, suspended=False)
    assert live.get("/v1/warehouses").status_code == 200

    tenant_services.tenant_set_suspended(tenant=tenant, suspended=True, reason="unpaid")
    response = live.get("/v1/warehouses")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "account_suspended")
    tenant_services.tenant_set_suspended(tenant=tenant, suspended=False)
    assert live.get("/v1/warehouses").status_code == 200


def _issued_invoice(tenant, issued_at):
    live_connection(tenant, "Billable")
    services.billing_run_day(day=date(2026, 10, 31), now=issued_at)
    return Invoice.objects.get(tenant=tenant, month=date(2026, 10, 1))


def test_overdue_invoice_suspends_the_tenant_only_when_enabled_and_payment_lifts_it(tenant, settings):
    invoice = _issued_invoice(tenant, issued_at=datetime(2026, 11, 1, 2, tzinfo=UTC))
    assert invoice.due_at == datetime(2026, 12, 1, 2, tzinfo=UTC)
    late = datetime(2026, 12, 12, 3, tzinfo=UTC)

    assert services.overdue_tenants_suspend(now=late) == []  # off by default
    settings.BILLING_AUTO_SUSPEND_OVERDUE_DAYS = 10
    assert services.overdue_tenants_suspend(now=datetime(2026, 12, 10, 3, tzinfo=UTC)) == []
    assert services.overdue_tenants_suspend(now=late) == ["acme"]
    tenant.refresh_from_db()
    assert tenant.status == Tenant.Status.SUSPENDED
    assert services.overdue_tenants_suspend(now=late) == []

    services.invoice_mark_paid(invoice=invoice, now=late)

    tenant.refresh_from_db()
    assert tenant.status == Tenant.Status.ACTIVE
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID


def test_payment_does_not_lift_a_suspension_staff_made_for_another_reason(tenant, settings):
    invoice = _issued_invoice(tenant, issued_at=datetime(2026, 11, 1, 2, tzinfo=UTC))
    tenant_services.tenant_set_suspended(tenant=tenant, suspended=True, reason="abusive polling")
    services.invoice_mark_paid(invoice=invoice)
    tenant.refresh_from_db()
    assert tenant.status == Tenant.Status.SUSPENDED


def test_invoice_state_changes_refuse_what_makes_no_sense(tenant):
    invoice = _issued_invoice(tenant, issued_at=datetime(2026, 11, 1, 2, tzinfo=UTC))
    with pytest.raises(Conflict) as issued_again:
        services.invoice_issue(invoice=invoice)
    assert issued_again.value.code == "invoice_not_draft"
    services.invoice_mark_paid(invoice=invoice)
    with pytest.raises(Conflict) as void_paid:
        services.invoice_void(invoice=invoice)
    assert void_paid.value.code == "invoice_paid"
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID


def test_voided_invoice_keeps_its_number_and_the_rerun_issues_the_next_one(tenant):
    invoice = _issued_invoice(tenant, issued_at=datetime(2026, 11, 1, 2, tzinfo=UTC))
    assert invoice.number == "INV-2026-10-0001"
    services.invoice_void(invoice=invoice)

    services.billing_run_day(day=date(2026, 10, 31))

    numbers = list(Invoice.objects.order_by("pk").values_list("number", "status"))
    assert numbers == [("INV-2026-10-0001", "void"), ("INV-2026-10-0002", "issued")]


def test_usage_selectors_by_day_and_endpoint_group(tenant):
    conn = live_connection(tenant, "Reader")
    use(conn, datetime(2026, 11, 2, 1, tzinfo=UTC), 100, 1000, group="inventory")
    use(conn, datetime(2026, 11, 2, 2, tzinfo=UTC), 10, 20, group="orders")
    use(conn, datetime(2026, 11, 3, 0, tzinfo=UTC), 1, 2, group="orders")

    daily = selectors.usage_daily(tenant=tenant, environment="live", month=NOV)
    assert daily[0]["day"] == NOV and daily[0]["requests"] == 0
    assert daily[1] == {
        "day": date(2026, 11, 2),
        "requests": 2,
        "errors_4xx": 0,
        "errors_5xx": 0,
        "bytes_in": 110,
        "bytes_out": 1020,
        "bytes_total": 1130,
    }
    assert daily[2]["bytes_total"] == 3
    groups = selectors.usage_by_endpoint_group(tenant=tenant, environment="live", month=NOV)
    assert [(g["endpoint_group"], g["bytes_total"], g["requests"]) for g in groups] == [
        ("inventory", 1100, 1),
        ("orders", 33, 2),
    ]
    assert selectors.usage_by_endpoint_group(tenant=tenant, environment="sandbox", month=NOV) == []


def test_run_billing_command_backfills_a_range(tenant):
    live_connection(tenant, "Cmd")
    call_command("run_billing", "--from", "2026-11-01", "--to", "2026-11-30", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert Invoice.objects.get(tenant=tenant).number == "INV-2026-11-0001"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--from", "2026-13-01", "--to", "2026-11-30"], "--from"),
        (["--from", "2026-11-01", "--to", "yesterday"], "--to"),
        (["--from", "2026-11-30", "--to", "2026-11-01"], "--to"),
    ],
)
def test_run_billing_refuses_bad_dates_naming_the_argument(args, named):
    with pytest.raises(CommandError) as refused:
        call_command("run_billing", *args)
    assert named in str(refused.value)
    assert Invoice.objects.count() == 0


def test_run_billing_with_a_bad_date_exits_non_zero_from_the_shell():
    env = {**os.environ, "DEBUG": "1"}
    completed = subprocess.run(
        [sys.executable, "manage.py", "run_billing", "--from", "2026-02-30", "--to", "2026-03-01"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode != 0
    assert "--from" in completed.stderr


def test_staff_see_heaviest_connections_first_and_invoices_in_admin(admin_client, tenant):
    light = live_connection(tenant, "Light")
    heavy = live_connection(tenant, "Heavy")
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    use(light, now, 10)
    use(heavy, now, 10_000)
    run(NOV, date(2026, 11, 3))

    page = admin_client.get("/admin/billing/connectionmonitor/")
    assert page.status_code == 200
    body = page.content.decode()
    assert body.index(heavy.public_id) < body.index(light.public_id)
    assert "10,000" in body

    invoice = Invoice.objects.get(tenant=tenant)
    assert admin_client.get("/admin/billing/invoice/").status_code == 200
    assert admin_client.get(f"/admin/billing/invoice/{invoice.pk}/change/").status_code == 200
    response = admin_client.post(
        "/admin/billing/invoice/", {"action": "issue", "_selected_action": [invoice.pk]}, follow=True
    )
    assert response.status_code == 200
    assert Invoice.objects.get(pk=invoice.pk).number == "INV-2026-11-0001"
