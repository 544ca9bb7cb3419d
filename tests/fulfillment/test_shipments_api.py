"""GET /v1/shipments and GET /v1/shipments/{id}: the blueprint shape, the feed, filters, scoping, query cost."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fulfillment.models import Carrier, Shipment
from fulfillment.services import shipments as svc
from fulfillment.services.shipments import ParcelSpec
from tests.fulfillment.shipments_support import (
    feed_without_watermark,  # noqa: F401 - a fixture
    make_order,
    set_stock,
)

pytestmark = pytest.mark.django_db

# On PostgreSQL change_seq is the writer's transaction id, so a test that watches a row move
# in a feed needs real commits (and see feed_without_watermark).
FEED = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("feed_without_watermark")]


def ship_order(tenant, environment, *, sku="BLUE", quantity=2, parcels=1, prefix="AP", weight=False, **kwargs):
    carrier = Carrier.objects.get(code="auspost")
    set_stock(tenant, environment, sku, quantity)
    order = make_order(tenant, environment, [(sku, quantity)], **kwargs)
    specs = [
        ParcelSpec(
            tracking_number=f"{prefix}{order.pk:06d}{n}AU",
            carrier=carrier,
            service="Express Post",
            weight_value=Decimal("1.2") if weight and n == 0 else None,
            weight_unit="kg",
            length=Decimal("30") if weight and n == 0 else None,
            width=Decimal("20") if weight and n == 0 else None,
            height=Decimal("10") if weight and n == 0 else None,
            dimension_unit="cm",
        )
        for n in range(parcels)
    ]
    return svc.shipment_create(
        tenant=tenant,
        environment=environment,
        order_id=order.pk,
        parcels=specs,
        cost_amount=Decimal("12.40"),
        cost_currency="AUD",
        actor_label="test",
    )


def fmt(dt: datetime.datetime) -> str:
    return dt.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_list_returns_the_blueprint_shape_field_for_field(sandbox, tenant):
    shipment = ship_order(tenant, "sandbox", parcels=2, weight=True, order_number="SO-100423")
    shipment.refresh_from_db()

    response = sandbox.get("/v1/shipments")

    assert response.status_code == 200
    body = response.json()
    assert body["pagination"]["has_more"] is False
    assert body["pagination"]["next_cursor"] is None
    assert body["data"] == [
        {
            "id": shipment.public_id,
            "order_id": shipment.order.public_id,
            "order_number": "SO-100423",
            "status": "shipped",
            "warehouse_id": "wh_syd_1",
            "shipped_at": fmt(shipment.shipped_at),
            "created_at": fmt(shipment.created_at),
            "updated_at": fmt(shipment.updated_at),
            "cost": {"amount": "12.40", "currency": "AUD"},
            "voided": False,
            "version": 1,
            "parcels": [
                {
                    "tracking_number": f"AP{shipment.order.pk:06d}0AU",
                    "tracking_url": f"https://auspost.com.au/track/AP{shipment.order.pk:06d}0AU",
                    "carrier": "auspost",
                    "service": "Express Post",
                    "weight": {"value": 1.2, "unit": "kg"},
                    "dimensions": {"length": 30, "width": 20, "height": 10, "unit": "cm"},
                },
                {
                    "tracking_number": f"AP{shipment.order.pk:06d}1AU",
                    "tracking_url": f"https://auspost.com.au/track/AP{shipment.order.pk:06d}1AU",
                    "carrier": "auspost",
                    "service": "Express Post",
                },
            ],
            "items": [{"sku": "BLUE", "quantity": 2}],
        }
    ]
    # Numbers as the blueprint writes them: 30, not 30.0.
    assert b'"dimensions":{"length":30,"width":20,"height":10,"unit":"cm"}' in response.content
    assert b'"weight":{"value":1.2,"unit":"kg"}' in response.content
    assert sandbox.get(f"/v1/shipments/{shipment.public_id}").json() == body["data"][0]


def test_tracking_url_follows_the_carrier_template(sandbox, tenant):
    shipment = ship_order(tenant, "sandbox")
    Carrier.objects.filter(code="auspost").update(tracking_url_template="https://track.example/{tracking_number}?x=1")

    parcel = sandbox.get(f"/v1/shipments/{shipment.public_id}").json()["parcels"][0]

    assert parcel["tracking_url"] == f"https://track.example/{parcel['tracking_number']}?x=1"


@FEED[0]
@FEED[1]
def test_status_change_and_void_reappear_after_resume_cursor(sandbox, tenant):
    first = ship_order(tenant, "sandbox", sku="A")
    second = ship_order(tenant, "sandbox", sku="B")
    page = sandbox.get("/v1/shipments").json()
    assert [s["id"] for s in page["data"]] == [first.public_id, second.public_id]
    cursor = page["pagination"]["resume_cursor"]
    assert sandbox.get("/v1/shipments", {"cursor": cursor}).json()["data"] == []

    svc.shipment_status_update(shipment_id=first.pk, to_status="in_transit", actor_label="test")
    svc.shipment_void(shipment_id=second.pk, actor_label="test")

    page = sandbox.get("/v1/shipments", {"cursor": cursor}).json()
    assert [(s["id"], s["status"], s["voided"]) for s in page["data"]] == [
        (first.public_id, "in_transit", False),
        (second.public_id, "voided", True),
    ]


def test_updated_since_returns_only_later_changes(sandbox, tenant):
    old = ship_order(tenant, "sandbox", sku="A")
    Shipment.objects.filter(pk=old.pk).update(updated_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    new = ship_order(tenant, "sandbox", sku="B")

    response = sandbox.get("/v1/shipments", {"updated_since": "2026-06-01T00:00:00Z"})

    assert [s["id"] for s in response.json()["data"]] == [new.public_id]


def test_filters_order_id_and_status(sandbox, tenant):
    first = ship_order(tenant, "sandbox", sku="A")
    second = ship_order(tenant, "sandbox", sku="B")
    svc.shipment_status_update(shipment_id=second.pk, to_status="delivered", actor_label="test")

    by_order = sandbox.get("/v1/shipments", {"order_id": first.order.public_id}).json()["data"]
    by_status = sandbox.get("/v1/shipments", {"status": "delivered"}).json()["data"]

    assert [s["id"] for s in by_order] == [first.public_id]
    assert [s["id"] for s in by_status] == [second.public_id]


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"status": "nope"}, "invalid_choice", "status"),
        ({"order_id": "ord<1>"}, "invalid_characters", "order_id"),
        ({"updated_since": "2026-07-02T22:04:11"}, "invalid_datetime", "updated_since"),
        ({"limit": "0"}, "out_of_range", "limit"),
    ],
)
def test_bad_filters_are_422(sandbox, params, code, field):
    response = sandbox.get("/v1/shipments", params)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["field"] == field


def test_anonymous_gets_401(anonymous, reference_data):
    assert anonymous.get("/v1/shipments").status_code == 401
    assert anonymous.get("/v1/shipments/shp_x").status_code == 401


def test_other_tenant_sees_nothing_and_gets_404(sandbox, other_sandbox, tenant):
    shipment = ship_order(tenant, "sandbox")

    assert other_sandbox.get("/v1/shipments").json()["data"] == []
    response = other_sandbox.get(f"/v1/shipments/{shipment.public_id}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_other_environment_sees_nothing_and_gets_404(sandbox, live, tenant):
    shipment = ship_order(tenant, "sandbox")

    assert live.get("/v1/shipments").json()["data"] == []
    assert live.get(f"/v1/shipments/{shipment.public_id}").status_code == 404


def _page_queries(api, count: int) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = api.get("/v1/shipments", {"limit": str(count)})
    assert response.status_code == 200
    assert len(response.json()["data"]) == count
    assert all(len(s["parcels"]) == 2 and len(s["items"]) == 2 for s in response.json()["data"])
    return len(ctx.captured_queries)


def _many_shipments(tenant, n: int) -> None:
    """n orders of two SKUs, each shipped in two parcels (2 parcels + 2 items per shipment)."""
    carrier = Carrier.objects.get(code="auspost")
    set_stock(tenant, "sandbox", "A", n)
    set_stock(tenant, "sandbox", "B", n)
    for i in range(n):
        order = make_order(tenant, "sandbox", [("A", 1), ("B", 1)])
        svc.shipment_create(
            tenant=tenant,
            environment="sandbox",
            order_id=order.pk,
            parcels=[ParcelSpec(f"T{i}-{k}", carrier, "Express Post") for k in range(2)],
            actor_label="test",
        )


def test_a_page_costs_the_same_queries_for_10_and_100_shipments(sandbox, tenant, django_assert_num_queries):
    _many_shipments(tenant, 100)
    sandbox.get("/v1/me")  # warm the credential's once-a-minute touch

    ten = _page_queries(sandbox, 10)
    hundred = _page_queries(sandbox, 100)

    assert ten == hundred
    # The key lookup (with its connection), shipments with order and warehouse, parcels, carriers, items.
    with django_assert_num_queries(5):
        sandbox.get("/v1/shipments", {"limit": "100"})
