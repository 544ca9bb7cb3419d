"""GET /v1/inventory and GET /v1/inventory/{sku}: per-warehouse numbers, the feed, filters, scoping, query cost."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fulfillment.models import InventoryRecord
from tests.fulfillment.shipments_support import (
    feed_without_watermark,  # noqa: F401 - a fixture
    make_order,
    make_product,
    set_stock,
)

pytestmark = pytest.mark.django_db

# On PostgreSQL change_seq is the writer's transaction id, so a test that watches a row move
# in a feed needs real commits (and see feed_without_watermark).
FEED = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("feed_without_watermark")]


def fmt(dt):
    return dt.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_list_returns_the_blueprint_shape_per_warehouse(sandbox, tenant):
    set_stock(tenant, "sandbox", "WIDGET-BLUE-M", 120, "wh_syd_1")
    set_stock(tenant, "sandbox", "WIDGET-BLUE-M", 40, "wh_mel_1")
    make_order(tenant, "sandbox", [("WIDGET-BLUE-M", 24)], warehouse="wh_syd_1")
    make_order(tenant, "sandbox", [("WIDGET-BLUE-M", 45)], warehouse="wh_mel_1")  # 40 allocated, 5 backordered
    record = InventoryRecord.objects.get(product__sku="WIDGET-BLUE-M")

    response = sandbox.get("/v1/inventory")

    assert response.status_code == 200
    assert response.json() == {
        "data": [
            {
                "sku": "WIDGET-BLUE-M",
                "updated_at": fmt(record.updated_at),
                "warehouses": [
                    {
                        "warehouse_id": "wh_mel_1",
                        "on_hand": 40,
                        "available": 0,
                        "allocated": 40,
                        "incoming": 0,
                        "backordered": 5,
                    },
                    {
                        "warehouse_id": "wh_syd_1",
                        "on_hand": 120,
                        "available": 96,
                        "allocated": 24,
                        "incoming": 0,
                        "backordered": 0,
                    },
                ],
            }
        ],
        "pagination": {
            "next_cursor": None,
            "has_more": False,
            "resume_cursor": response.json()["pagination"]["resume_cursor"],
        },
    }
    detail = sandbox.get("/v1/inventory/WIDGET-BLUE-M")
    assert detail.status_code == 200
    assert detail.json() == response.json()["data"][0]


def test_filters_sku_and_warehouse(sandbox, tenant):
    set_stock(tenant, "sandbox", "A", 5, "wh_syd_1")
    set_stock(tenant, "sandbox", "A", 6, "wh_mel_1")
    set_stock(tenant, "sandbox", "B", 7, "wh_syd_1")

    by_sku = sandbox.get("/v1/inventory", {"sku": "A"}).json()["data"]
    by_warehouse = sandbox.get("/v1/inventory", {"warehouse_id": "wh_mel_1", "updated_since": "2000-01-01T00:00:00Z"})

    assert [(r["sku"], [w["warehouse_id"] for w in r["warehouses"]]) for r in by_sku] == [
        ("A", ["wh_mel_1", "wh_syd_1"])
    ]
    assert [(r["sku"], r["warehouses"][0]["on_hand"], len(r["warehouses"])) for r in by_warehouse.json()["data"]] == [
        ("A", 6, 1)
    ]


@FEED[0]
@FEED[1]
def test_a_sku_reappears_when_any_of_its_warehouse_numbers_changes(sandbox, tenant):
    set_stock(tenant, "sandbox", "A", 5)
    set_stock(tenant, "sandbox", "B", 5)
    cursor = sandbox.get("/v1/inventory").json()["pagination"]["resume_cursor"]
    assert sandbox.get("/v1/inventory", {"cursor": cursor}).json()["data"] == []

    make_order(tenant, "sandbox", [("A", 2)], warehouse="wh_syd_1")  # allocation only
    set_stock(tenant, "sandbox", "B", 1, "wh_mel_1")  # another warehouse

    changed = sandbox.get("/v1/inventory", {"cursor": cursor}).json()["data"]
    assert [(r["sku"], [w["allocated"] for w in r["warehouses"]]) for r in changed] == [("A", [2]), ("B", [0, 0])]


def test_updated_since_filters_on_inventory_changes(sandbox, tenant):
    set_stock(tenant, "sandbox", "OLD", 5)
    InventoryRecord.objects.filter(product__sku="OLD").update(
        updated_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    )
    set_stock(tenant, "sandbox", "NEW", 5)

    data = sandbox.get("/v1/inventory", {"updated_since": "2026-06-01T00:00:00Z"}).json()["data"]

    assert [r["sku"] for r in data] == ["NEW"]


def test_known_sku_without_stock_has_no_warehouses(sandbox, tenant):
    product = make_product(tenant, "sandbox", "NEVER-STOCKED")

    response = sandbox.get("/v1/inventory/NEVER-STOCKED")

    assert response.status_code == 200
    assert response.json() == {"sku": "NEVER-STOCKED", "updated_at": fmt(product.updated_at), "warehouses": []}


def test_unknown_sku_is_404(sandbox):
    response = sandbox.get("/v1/inventory/NOPE")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"sku": "A<B"}, "invalid_characters", "sku"),
        ({"warehouse_id": "wh:1"}, "invalid_characters", "warehouse_id"),
        ({"updated_since": "yesterday"}, "invalid_datetime", "updated_since"),
        ({"sku": "A", "limit": "9999"}, "out_of_range", "limit"),
    ],
)
def test_bad_filters_are_422(sandbox, params, code, field):
    response = sandbox.get("/v1/inventory", params)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["field"] == field


def test_anonymous_gets_401(anonymous, reference_data):
    assert anonymous.get("/v1/inventory").status_code == 401
    assert anonymous.get("/v1/inventory/A").status_code == 401


def test_other_tenant_sees_nothing_and_gets_404(sandbox, other_sandbox, tenant):
    set_stock(tenant, "sandbox", "A", 5)

    assert other_sandbox.get("/v1/inventory").json()["data"] == []
    assert other_sandbox.get("/v1/inventory/A").status_code == 404


def test_other_environment_sees_nothing_and_gets_404(sandbox, live, tenant):
    set_stock(tenant, "sandbox", "A", 5)

    assert live.get("/v1/inventory", {"updated_since": "2000-01-01T00:00:00Z"}).json()["data"] == []
    assert live.get("/v1/inventory/A").status_code == 404


def _page_queries(api, count: int) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = api.get("/v1/inventory", {"limit": str(count)})
    assert response.status_code == 200
    assert len(response.json()["data"]) == count
    assert all(len(r["warehouses"]) == 2 for r in response.json()["data"])
    return len(ctx.captured_queries)


def test_a_page_costs_the_same_queries_for_10_and_100_skus(sandbox, tenant, django_assert_num_queries):
    for i in range(100):
        set_stock(tenant, "sandbox", f"SKU-{i:03d}", 3, "wh_syd_1")
        set_stock(tenant, "sandbox", f"SKU-{i:03d}", 4, "wh_mel_1")
    sandbox.get("/v1/me")  # warm the credential's once-a-minute touch

    ten = _page_queries(sandbox, 10)
    hundred = _page_queries(sandbox, 100)

    assert ten == hundred
    # The key lookup (with its connection), records with products, stock cells with warehouses.
    with django_assert_num_queries(3):
        sandbox.get("/v1/inventory", {"limit": "100"})
