"""Read-only operations pages: search by order number, reference and SKU; tracking links; isolation."""

from __future__ import annotations

import pytest

from fulfillment.models import Carrier, Order
from fulfillment.services.shipments import ParcelSpec, shipment_create
from tests.portal.conftest import signed_in

pytestmark = pytest.mark.django_db


def order_body(number: str, reference: str, sku: str = "WIDGET-BLUE-M", quantity: int = 1) -> dict:
    return {
        "order_number": number,
        "reference": reference,
        "warehouse_id": "wh_syd_1",
        "shipping_method_id": "sm_auspost_express",
        "ship_to": {"name": "Jordan Lee", "address1": "1 George St", "city": "Sydney", "country": "AU"},
        "items": [{"sku": sku, "quantity": quantity}],
    }


@pytest.fixture
def catalogue(tenant, other_tenant, reference_data):
    from fulfillment.demo import seed_tenant_catalogue

    seed_tenant_catalogue(tenant)
    seed_tenant_catalogue(other_tenant)


@pytest.fixture
def orders(sandbox, catalogue):
    made = {}
    for number, reference, sku in [
        ("SO-100423", "ERP-1", "WIDGET-BLUE-M"),
        ("SO-100424", "ERP-2", "WIDGET-RED-S"),
        ("SO-200001", "ERP-3", "WIDGET-BLUE-M"),
    ]:
        response = sandbox.post("/v1/orders", order_body(number, reference, sku))
        assert response.status_code == 201, response.json()
        made[number] = response.json()["id"]
    return made


@pytest.fixture
def client_sandbox(owner):
    return signed_in(owner, "sandbox")


def listed(response) -> list[str]:
    import re

    return re.findall(r'href="/operations/orders/ord_[^/]+/">([^<]+)</a>', response.content.decode())


def test_orders_list_newest_first(client_sandbox, orders):
    assert listed(client_sandbox.get("/operations/orders/")) == ["SO-200001", "SO-100424", "SO-100423"]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("SO-100423", ["SO-100423"]),
        ("so-100423", ["SO-100423"]),
        ("SO-1004", ["SO-100424", "SO-100423"]),
        ("ERP-2", ["SO-100424"]),
        ("WIDGET-BLUE-M", ["SO-200001", "SO-100423"]),
        ("nothing-like-this", []),
    ],
)
def test_order_search_by_number_reference_and_sku(client_sandbox, orders, query, expected):
    assert listed(client_sandbox.get("/operations/orders/", {"q": query})) == expected


def test_order_search_without_match_explains(client_sandbox, orders):
    page = client_sandbox.get("/operations/orders/", {"q": "SO-999"})
    assert b"No sandbox order matches" in page.content


def test_order_detail_shows_lines_and_shipments_with_tracking_links(client_sandbox, orders, tenant):
    order = Order.objects.get(public_id=orders["SO-100423"])
    shipment_create(
        tenant=tenant,
        environment="sandbox",
        order_id=order.pk,
        parcels=[ParcelSpec(tracking_number="AP123456789", carrier=Carrier.objects.get(code="auspost"), service="EXP")],
        actor_label="test",
    )
    page = client_sandbox.get(f"/operations/orders/{order.public_id}/")
    assert page.status_code == 200
    assert b"<title>Order SO-100423 \xc2\xb7 Fulfillment Portal</title>" in page.content
    assert b"WIDGET-BLUE-M" in page.content
    assert b'href="https://auspost.com.au/track/AP123456789"' in page.content
    shipments = client_sandbox.get("/operations/shipments/", {"q": "AP123456789"})
    assert b"SO-100423" in shipments.content
    assert b'href="https://auspost.com.au/track/AP123456789"' in shipments.content
    by_order = client_sandbox.get("/operations/shipments/", {"q": "SO-100423"})
    assert b"AP123456789" in by_order.content
    assert b"AP123456789" not in client_sandbox.get("/operations/shipments/", {"q": "SO-100424"}).content


def test_another_tenants_order_is_not_found(owner, other_sandbox, catalogue):
    theirs = other_sandbox.post("/v1/orders", order_body("SO-777", "G-1")).json()["id"]
    client = signed_in(owner, "sandbox")
    assert client.get(f"/operations/orders/{theirs}/").status_code == 404
    assert listed(client.get("/operations/orders/", {"q": "SO-777"})) == []


def test_sandbox_orders_are_not_visible_in_live(owner, orders):
    client = signed_in(owner, "live")
    assert client.get(f"/operations/orders/{orders['SO-100423']}/").status_code == 404
    assert listed(client.get("/operations/orders/")) == []
    assert b"No live orders yet." in client.get("/operations/orders/").content


def test_inventory_per_warehouse_with_sku_search(client_sandbox, catalogue):
    page = client_sandbox.get("/operations/inventory/")
    assert page.status_code == 200
    assert b"WIDGET-BLUE-M" in page.content
    assert b"WIDGET-RED-S" in page.content
    only_blue = client_sandbox.get("/operations/inventory/", {"q": "WIDGET-BLUE"})
    assert b"WIDGET-BLUE-M" in only_blue.content
    assert b"WIDGET-RED-S" not in only_blue.content
    melbourne = client_sandbox.get("/operations/inventory/", {"warehouse": "wh_mel_1"})
    assert b"<td>SYD</td>" not in melbourne.content


def test_inbound_and_returns_pages_render_with_empty_states(client_sandbox):
    inbound = client_sandbox.get("/operations/inbound/")
    returns = client_sandbox.get("/operations/returns/")
    assert inbound.status_code == returns.status_code == 200
    assert b"No inbound shipments yet." in inbound.content
    assert b"No returns yet." in returns.content


def test_operations_are_read_only(client_sandbox, orders):
    assert client_sandbox.post(f"/operations/orders/{orders['SO-100423']}/").status_code == 405
    assert client_sandbox.post("/operations/inventory/").status_code == 405
    assert Order.objects.filter(public_id=orders["SO-100423"]).exists()
