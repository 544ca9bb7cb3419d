"""The portal in a real browser (Playwright driving Debian's Chromium against live_server).

The developer's whole loop: sign in → sandbox → create a key → call the API with it →
see the call in the request log and the usage numbers → roll the key (the old one keeps
working until its expiry) → revoke (the API answers 401). Screenshots of the main
pages land in docs/screenshots/ (referenced from docs/portal.md).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import requests

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def _allow_sync_orm_beside_playwright(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the live
    # server and fixtures would otherwise trip its async-safety check. Scoped to these tests only.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (os.path.exists(CHROMIUM) or shutil.which("chromium")),
        reason="Chromium not installed at /usr/bin/chromium (apt-get install chromium); browser tests skipped",
    ),
]


@pytest.fixture
def browser():
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1360, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def shot(page, name: str, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(base + "/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")


def api_get(base: str, key: str, path: str = "/v1/me") -> requests.Response:
    return requests.get(base + path, headers={"Authorization": f"Bearer {key}"}, timeout=10)


def order_payload(number: str, reference: str, sku: str, quantity: int) -> dict:
    return {
        "order_number": number,
        "reference": reference,
        "warehouse_id": "wh_syd_1",
        "shipping_method_id": "sm_auspost_express",
        "ship_to": {
            "name": "Jordan Lee",
            "address1": "1 George St",
            "city": "Sydney",
            "state": "NSW",
            "postcode": "2000",
            "country": "AU",
        },
        "items": [{"sku": sku, "quantity": quantity}],
    }


@pytest.mark.django_db(transaction=True)
def test_developer_creates_uses_rolls_and_revokes_a_sandbox_key_in_the_browser(live_server, page):
    from fulfillment.demo import seed_reference_data, seed_tenant_catalogue
    from tests.factories import make_tenant
    from tests.portal.conftest import PASSWORD, make_member

    seed_reference_data()
    tenant = make_tenant("acme", name="Acme Outdoor Co")
    seed_tenant_catalogue(tenant)
    make_member(tenant, "olivia", "owner")
    base = live_server.url

    shot_login = page.goto(base + "/login/")
    assert shot_login.status == 200
    shot(page, "01-sign-in")
    sign_in(page, base, "olivia", PASSWORD)
    assert page.title() == "Dashboard · Fulfillment Portal"

    # Switch to sandbox: the banner appears on every page.
    page.get_by_role("button", name="Sandbox").click()
    page.wait_for_load_state()
    assert page.locator(".sandbox-banner").is_visible()

    # Create a sandbox key; it is shown once.
    page.get_by_role("link", name="API keys").click()
    page.get_by_role("link", name="Create your first sandbox key").click()
    page.get_by_label("Name").fill("NetSuite sandbox")
    page.get_by_role("button", name="Create key").click()
    key = page.get_by_test_id("new-key").input_value()
    assert re.fullmatch(r"wms_test_[0-9a-f]{12}_[A-Za-z0-9_-]{32}", key)
    assert page.get_by_text("It is shown only once").is_visible()
    shot(page, "03-key-shown-once")

    # The API accepts the key.
    me = api_get(base, key)
    assert me.status_code == 200
    assert me.json()["environment"] == "sandbox"
    request_id = me.headers["X-Request-ID"]
    created = requests.post(
        base + "/v1/orders",
        json=order_payload("SO-100423", "ERP-100423", "WIDGET-BLUE-M", 2),
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    shipped = requests.post(
        base + f"/v1/sandbox/orders/{order_id}/ship",
        json={"parcels": 2},
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    assert shipped.status_code == 201, shipped.text
    tracking = shipped.json()["parcels"][0]["tracking_number"]

    # The key is not shown again on the connection page.
    page.get_by_role("link", name="I have stored the key — continue").click()
    assert key not in page.content()
    assert key[: len("wms_test_") + 12] in page.content()

    # The call is in the request log, findable by its request id.
    page.goto(base + "/usage/requests/")
    page.get_by_label("Request id").fill(request_id)
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.request-log tbody tr")
    assert rows.count() == 1
    assert "/v1/me" in rows.first.inner_text()
    assert "200" in rows.first.inner_text()
    page.goto(base + "/usage/requests/")
    shot(page, "05-request-log")

    # ... and in the usage numbers.
    page.goto(base + "/usage/")
    requests_total = page.locator(".card", has_text="Requests").locator(".stat-value").inner_text()
    assert requests_total == "3"
    shot(page, "04-usage")

    page.goto(base + "/")
    assert page.locator(".card", has_text="Requests today").locator(".stat-value").inner_text() == "3"
    shot(page, "02-dashboard")

    # Operations: find the order by its number.
    page.goto(base + "/operations/orders/")
    page.get_by_label("Search orders").fill("SO-100423")
    page.get_by_role("button", name="Search").click()
    assert page.get_by_role("link", name="SO-100423").is_visible()
    shot(page, "07-orders")
    page.get_by_role("link", name="SO-100423").click()
    assert page.title() == "Order SO-100423 · Fulfillment Portal"
    assert page.get_by_role("link", name=re.compile(re.escape(tracking))).get_attribute("href").endswith(tracking)
    shot(page, "07b-order-detail")
    page.goto(base + "/operations/inventory/")
    shot(page, "08-inventory")

    # Roll: the old key keeps working for an hour.
    page.goto(base + "/connections/")
    page.get_by_role("link", name="NetSuite sandbox").click()
    page.get_by_role("link", name="Roll key").click()
    page.get_by_label("In 1 hour").check()
    page.get_by_role("button", name="Roll key").click()
    new_key = page.get_by_test_id("new-key").input_value()
    assert new_key != key
    assert "in 1 hour" in page.locator(".key-once").inner_text()
    assert api_get(base, key).status_code == 200
    assert api_get(base, new_key).status_code == 200
    page.get_by_role("link", name="I have stored the key — continue").click()
    assert page.locator("tbody .status-expiring").count() == 1
    assert page.locator("tbody .status-active").count() == 1
    shot(page, "06-connection-detail")

    # Revoke with confirmation: both keys stop working.
    page.get_by_role("link", name="Revoke").click()
    page.get_by_label("Type NetSuite sandbox to confirm").fill("NetSuite sandbox")
    page.get_by_role("button", name="Revoke connection").click()
    assert page.get_by_text("is revoked").is_visible()
    for credential in (key, new_key):
        answer = api_get(base, credential)
        assert answer.status_code == 401
        assert answer.json()["error"]["type"]

    page.goto(base + "/connections/")
    shot(page, "09-connections")

    # Webhooks: add an endpoint (secret shown once) and send a test event.
    page.goto(base + "/webhooks/")
    page.get_by_role("link", name="Add your first endpoint").click()
    page.get_by_label("Endpoint URL").fill("http://127.0.0.1:9/hooks/fulfillment")
    page.get_by_label("order.created").check()
    page.get_by_label("shipment.created").check()
    page.get_by_role("button", name="Add endpoint").click()
    assert page.get_by_test_id("new-secret").input_value()
    page.get_by_role("link", name="I have stored the secret — continue").click()
    page.get_by_role("button", name="Send test event").click()
    assert page.get_by_text("Test event queued").is_visible()
    assert page.locator("tbody code", has_text="ping").count() == 1
    shot(page, "10-webhook-detail")

    # Phone width: the layout stacks and stays usable.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base + "/")
    assert page.locator(".sandbox-banner").is_visible()
    assert page.get_by_role("button", name="Live").is_visible()
    shot(page, "11-dashboard-phone")


@pytest.mark.django_db(transaction=True)
def test_billing_member_sees_billing_but_not_keys_in_the_browser(live_server, page):
    from datetime import date
    from decimal import Decimal

    from django.utils import timezone

    from billing.models import Invoice, InvoiceLine
    from tests.factories import make_connection, make_tenant
    from tests.portal.conftest import PASSWORD, make_member

    tenant = make_tenant("acme", name="Acme Outdoor Co")
    make_member(tenant, "bill", "billing")
    connection = make_connection(tenant, "live", name="NetSuite production").connection
    today = timezone.now().date()
    for month, status, number in [
        (today.replace(day=1), Invoice.Status.DRAFT, None),
        (date(2026, 10, 1), Invoice.Status.ISSUED, "INV-2026-10-0001"),
        (date(2026, 9, 1), Invoice.Status.PAID, "INV-2026-09-0001"),
    ]:
        invoice = Invoice.objects.create(
            tenant=tenant,
            month=month,
            status=status,
            number=number,
            total=Decimal("100.00"),
            issued_at=None if number is None else timezone.now(),
            through_day=today,
        )
        for week in range(4):
            InvoiceLine.objects.create(
                invoice=invoice,
                position=week + 1,
                kind=InvoiceLine.Kind.CONNECTION_WEEK,
                connection=connection,
                description=f"NetSuite production — week {week + 1}",
                period_start=month,
                period_end=month,
                quantity=Decimal("1"),
                unit_price=Decimal("25.00"),
                amount=Decimal("25.00"),
            )
    base = live_server.url
    sign_in(page, base, "bill", PASSWORD)
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Billing").is_visible()
    assert nav.get_by_role("link", name="API keys").count() == 0
    response = page.goto(base + "/connections/new/")
    assert response.status == 403
    assert page.get_by_role("heading", name="You don't have access to this").is_visible()
    shot(page, "13-forbidden")
    page.goto(base + "/billing/")
    assert page.get_by_role("link", name="INV-2026-10-0001").is_visible()
    shot(page, "12-billing")
    page.get_by_role("link", name="INV-2026-10-0001").click()
    assert page.title() == "Invoice INV-2026-10-0001 · Fulfillment Portal"
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == "invoice-INV-2026-10-0001.csv"
    response = page.goto(base + "/no/such/page/")
    assert response.status == 404
