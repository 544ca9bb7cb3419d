"""Usage page, request log, dashboard numbers (from billing's selectors) and invoices."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Invoice, InvoiceLine
from tests.portal.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_api_calls_appear_in_the_request_log_with_their_request_id(owner, sandbox):
    ok = sandbox.get("/v1/me")
    missing = sandbox.get("/v1/orders/ord_nope")
    assert (ok.status_code, missing.status_code) == (200, 404)
    client = signed_in(owner, "sandbox")
    page = client.get("/usage/requests/")
    assert page.status_code == 200
    body = page.content.decode()
    assert ok["X-Request-ID"] in body
    assert missing["X-Request-ID"] in body
    assert body.index(missing["X-Request-ID"]) < body.index(ok["X-Request-ID"])  # newest first
    only_errors = client.get("/usage/requests/", {"status": "4xx"}).content.decode()
    assert missing["X-Request-ID"] in only_errors
    assert ok["X-Request-ID"] not in only_errors
    by_id = client.get("/usage/requests/", {"request_id": ok["X-Request-ID"]}).content.decode()
    assert ok["X-Request-ID"] in by_id
    assert missing["X-Request-ID"] not in by_id
    by_path = client.get("/usage/requests/", {"path": "/v1/orders"}).content.decode()
    assert missing["X-Request-ID"] in by_path
    assert ok["X-Request-ID"] not in by_path


def test_request_log_refuses_a_malformed_status_filter(owner, sandbox):
    sandbox.get("/v1/me")
    page = signed_in(owner, "sandbox").get("/usage/requests/", {"status": "abc"})
    assert page.status_code == 200
    assert b"Status must be a code such as" in page.content
    assert b"<table" not in page.content


def test_request_log_of_live_does_not_show_sandbox_calls(owner, sandbox):
    response = sandbox.get("/v1/me")
    page = signed_in(owner, "live").get("/usage/requests/")
    assert response["X-Request-ID"].encode() not in page.content
    assert b"No live requests yet." in page.content


def test_request_log_never_shows_another_tenants_calls(owner, other_sandbox):
    theirs = other_sandbox.get("/v1/me")
    page = signed_in(owner, "sandbox").get("/usage/requests/")
    assert theirs["X-Request-ID"].encode() not in page.content


def test_usage_page_counts_requests_and_errors_with_a_chart_and_a_table(owner, sandbox):
    sandbox.get("/v1/me")
    sandbox.get("/v1/me")
    sandbox.get("/v1/orders/ord_nope")
    page = signed_in(owner, "sandbox").get("/usage/")
    assert page.status_code == 200
    body = page.content.decode()
    assert '<svg class="chart"' in body
    today = timezone.now().date()
    row = body[body.index(f"{today:%a} {today.day} {today:%b}") :]
    cells = row[: row.index("</tr>")]
    assert '<td class="num">3</td><td class="num">1</td><td class="num">0</td>' in cells
    assert "/v1/orders" in body and "/v1/me" in body


def test_dashboard_shows_todays_requests_error_rate_and_bandwidth(owner, sandbox):
    sandbox.get("/v1/me")
    sandbox.get("/v1/orders/ord_nope")
    body = signed_in(owner, "sandbox").get("/").content.decode()
    assert '<p class="stat-value">2</p>' in body
    assert '<p class="stat-value">50.0%</p>' in body
    assert sandbox.issued.connection.name in body


def test_live_dashboard_projects_overage_against_the_included_allowance(owner, tenant, live, settings):
    import calendar

    from billing.selectors import usage_month_by_connection

    # A tiny allowance and 1 CAD per byte, so one call is visibly over and the projection is exact.
    settings.BILLING_INCLUDED_BYTES_PER_MONTH = 100
    settings.BILLING_OVERAGE_PRICE_PER_GB = Decimal("1000000000.00")
    live.get("/v1/me")
    today = timezone.now().date()
    (row,) = usage_month_by_connection(tenant=tenant, environment="live", month=today)
    projected = int(row["bytes_total"] * calendar.monthrange(today.year, today.month)[1] / today.day)
    body = signed_in(owner, "live").get("/").content.decode()
    assert "Of 100 B included" in body
    assert "meter-over" in body
    assert f"<strong>{projected - 100}.00 CAD</strong>" in body


def test_usage_month_parameter_is_validated(owner_client):
    assert owner_client.get("/usage/", {"month": "2999-01"}).status_code == 200
    assert owner_client.get("/usage/", {"month": "garbage"}).status_code == 200


@pytest.fixture
def invoice(tenant, live):
    inv = Invoice.objects.create(
        tenant=tenant,
        month=date(2026, 10, 1),
        status=Invoice.Status.ISSUED,
        number="INV-2026-10-0001",
        currency="CAD",
        total=Decimal("125.00"),
        issued_at=timezone.now(),
    )
    InvoiceLine.objects.create(
        invoice=inv,
        position=1,
        kind=InvoiceLine.Kind.CONNECTION_WEEK,
        connection=live.issued.connection,
        description="=SUM(A1) connection fee",
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 7),
        quantity=Decimal("1"),
        unit_price=Decimal("25.00"),
        amount=Decimal("25.00"),
    )
    return inv


def test_invoice_list_detail_and_csv(owner_client, invoice):
    listing = owner_client.get("/billing/")
    assert b"INV-2026-10-0001" in listing.content
    detail = owner_client.get(f"/billing/invoices/{invoice.pk}/")
    assert detail.status_code == 200
    assert b"125.00 CAD" in detail.content
    download = owner_client.get(f"/billing/invoices/{invoice.pk}/csv/")
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert download["Content-Disposition"] == 'attachment; filename="invoice-INV-2026-10-0001.csv"'
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert rows[0][:3] == ["invoice", "month", "status"]
    assert rows[1] == [
        "INV-2026-10-0001",
        "2026-10",
        "issued",
        "1",
        "connection_week",
        "'=SUM(A1) connection fee",
        "2026-10-01",
        "2026-10-07",
        "1",
        "25.00",
        "25.00",
        "CAD",
    ]
    assert rows[-1][-2:] == ["125.00", "CAD"]


def test_current_month_draft_is_shown_with_its_lines(owner_client, tenant):
    draft = Invoice.objects.create(
        tenant=tenant, month=timezone.now().date().replace(day=1), status=Invoice.Status.DRAFT, total=Decimal("50.00")
    )
    page = owner_client.get("/billing/")
    assert b"This month so far" in page.content
    assert f"/billing/invoices/{draft.pk}/csv/".encode() in page.content


def test_billing_member_sees_invoices_developer_does_not(tenant, invoice, billing_member, developer):
    assert signed_in(billing_member).get(f"/billing/invoices/{invoice.pk}/").status_code == 200
    assert signed_in(developer).get(f"/billing/invoices/{invoice.pk}/").status_code == 403
    assert signed_in(developer).get(f"/billing/invoices/{invoice.pk}/csv/").status_code == 403


def test_another_tenants_invoice_is_not_found(invoice, other_owner):
    client = signed_in(other_owner)
    assert client.get(f"/billing/invoices/{invoice.pk}/").status_code == 404
    assert client.get(f"/billing/invoices/{invoice.pk}/csv/").status_code == 404
    assert b"INV-2026-10-0001" not in client.get("/billing/").content


def test_dashboard_lists_open_notices_and_recent_policy_warnings(owner_client, tenant, live):
    from tenants.models import PolicyEvent
    from tenants.services import notice_raise, policy_event_record

    notice_raise(tenant=tenant, kind="bandwidth_80", message="Connection X used 80% of its included bandwidth.")
    policy_event_record(tenant=tenant, connection=live.issued.connection, kind=PolicyEvent.Kind.TOKEN_MINT_TOO_SOON)
    body = owner_client.get("/").content.decode()
    assert "Connection X used 80% of its included bandwidth." in body
    assert "Token minted within 30 minutes of the previous one" in body
    sandbox_body = signed_in(tenant.memberships.get().user, "sandbox").get("/").content.decode()
    assert "Token minted within 30 minutes" not in sandbox_body
