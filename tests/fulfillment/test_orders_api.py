"""POST/GET/PATCH /v1/orders and POST /v1/orders/{id}/cancel, per blueprint §1."""

from __future__ import annotations

import pytest

from fulfillment.models import Order, OrderHistory, OrderLine, StockMovement
from tests.fulfillment.orders_support import (
    cell_numbers,
    feed_without_watermark,  # noqa: F401 - a fixture
    order_body,
    snapshot,
    stock_set,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked(tenant, reference_data):
    stock_set(tenant, "sandbox", "WIDGET-BLUE-M", "wh_syd_1", 10)
    stock_set(tenant, "sandbox", "WIDGET-RED-S", "wh_syd_1", 5)
    stock_set(tenant, "live", "WIDGET-BLUE-M", "wh_syd_1", 10)
    return tenant


def create(api, body=None, key=None):
    headers = {"Idempotency-Key": key} if key else None
    return api.post("/v1/orders", body or order_body(), headers=headers)


# --- create -------------------------------------------------------------------


def test_create_returns_201_with_blueprint_fields(sandbox, stocked):
    response = create(sandbox)
    assert response.status_code == 201
    body = response.json()
    order = Order.objects.get()
    assert body["id"] == order.public_id
    assert body["id"].startswith("ord_")
    assert body["order_number"] == "SO-100423"
    assert body["reference"] == "F-100423-1"
    assert body["status"] == "received"
    assert body["version"] == "1"
    assert body["warehouse_id"] == "wh_syd_1"
    assert body["shipping_method_id"] == "sm_auspost_express"
    assert body["shipments"] == []
    assert body["created_at"].endswith("Z")
    assert body["updated_at"].endswith("Z")
    assert body["order_date"] == "2026-07-02T09:15:00Z"
    assert body["ship_to"]["country"] == "AU"
    assert body["ship_to"]["email"] == "jane@example.com"
    assert body["items"] == [
        {
            "sku": "WIDGET-BLUE-M",
            "description": "Blue Widget — Medium",
            "quantity": 2,
            "unit_price": "19.99",
            "currency": "AUD",
            "quantity_allocated": 2,
            "quantity_backordered": 0,
            "quantity_shipped": 0,
        }
    ]
    assert response["ETag"] == '"1"'
    assert order.created_by_connection == sandbox.issued.connection


def test_create_allocates_stock_and_writes_ledger(sandbox, stocked):
    create(sandbox)
    assert cell_numbers(stocked, "sandbox", "WIDGET-BLUE-M") == (10, 2, 0)
    order = Order.objects.get()
    movement = StockMovement.objects.get(source_id=order.public_id)
    assert (movement.reason, movement.delta_allocated, movement.allocated_after) == ("allocation", 2, 2)
    history = OrderHistory.objects.get(order=order)
    assert (history.kind, history.to_status, history.version) == ("created", "received", 1)
    assert history.actor_label == f"api:{sandbox.issued.connection.public_id}"


def test_create_short_stock_backorders_the_shortfall(sandbox, stocked):
    body = order_body(items=[{"sku": "WIDGET-RED-S", "quantity": 8}])
    response = create(sandbox, body)
    assert response.status_code == 201
    assert response.json()["status"] == "backordered"
    assert response.json()["items"][0]["quantity_allocated"] == 5
    assert response.json()["items"][0]["quantity_backordered"] == 3
    assert cell_numbers(stocked, "sandbox", "WIDGET-RED-S") == (5, 5, 3)


def test_create_with_free_text_shipping_method(sandbox, stocked):
    body = order_body()
    del body["shipping_method_id"]
    body["shipping_method"] = "Express"
    response = create(sandbox, body)
    assert response.status_code == 201
    assert response.json()["shipping_method_id"] == "sm_auspost_express"


def test_anonymous_gets_401(anonymous, stocked):
    assert anonymous.post("/v1/orders", order_body()).status_code == 401
    assert anonymous.get("/v1/orders").status_code == 401
    assert anonymous.get("/v1/orders/ord_x").status_code == 401
    assert anonymous.patch("/v1/orders/ord_x", {}).status_code == 401
    assert anonymous.post("/v1/orders/ord_x/cancel").status_code == 401
    assert Order.objects.count() == 0


def _mutate(path: str, value):
    """A body with one field changed (`...` deletes it). Paths use dots: `items.0.sku`."""

    def apply(body):
        cur = body
        parts = path.split(".")
        for part in parts[:-1]:
            cur = cur[int(part)] if part.isdigit() else cur[part]
        last = int(parts[-1]) if parts[-1].isdigit() else parts[-1]
        if value is ...:
            del cur[last]
        else:
            cur[last] = value
        return body

    return apply


BAD_INPUTS = [
    ("warehouse_id", "wh_zzz", "invalid_warehouse", "warehouse_id"),
    ("shipping_method_id", "sm_nope", "invalid_shipping_method", "shipping_method_id"),
    ("ship_to.name", ..., "missing_field", "ship_to.name"),
    ("ship_to.address1", "", "missing_field", "ship_to.address1"),
    ("ship_to.city", ..., "missing_field", "ship_to.city"),
    ("ship_to.country", "ZZ", "invalid_country", "ship_to.country"),
    ("ship_to.country", "AUS", "invalid_country", "ship_to.country"),
    ("ship_to.email", "not-an-email", "invalid_email", "ship_to.email"),
    ("ship_to", ..., "missing_field", "ship_to"),
    ("items", [], "missing_field", "items"),
    ("items", "x", "invalid_type", "items"),
    ("items.0.sku", "NOPE-1", "unknown_sku", "items[0].sku"),
    ("items.0.sku", ..., "missing_field", "items[0].sku"),
    ("items.0.quantity", 0, "out_of_range", "items[0].quantity"),
    ("items.0.quantity", -3, "out_of_range", "items[0].quantity"),
    ("items.0.quantity", 2.5, "invalid_field", "items[0].quantity"),
    ("items.0.quantity", "2", "invalid_field", "items[0].quantity"),
    ("items.0.unit_price", "-1", "out_of_range", "items[0].unit_price"),
    ("items.0.unit_price", 19.99, "invalid_field", "items[0].unit_price"),
    ("items.0.unit_price", "19.999", "invalid_decimal", "items[0].unit_price"),
    ("items.0.currency", "ABC", "invalid_currency", "items[0].currency"),
    ("items.0.currency", ..., "missing_field", "items[0].currency"),
    ("order_date", "2026-07-02T09:15:00", "invalid_datetime", "order_date"),
    ("order_date", "yesterday", "invalid_field", "order_date"),
    ("reference", "F<1", "invalid_characters", "reference"),
    ("reference", ..., "missing_field", "reference"),
    ("reference", "x" * 101, "too_long", "reference"),
    ("order_number", " SO-1", "surrounding_space", "order_number"),
    ("order_number", "SO\x001", "invalid_characters", "order_number"),
    ("packing_note", "line1\nline2", "invalid_characters", "packing_note"),
    ("ship_to.address1", "1 Main\tSt", "invalid_characters", "ship_to.address1"),
]


@pytest.mark.parametrize(("path", "value", "code", "field"), BAD_INPUTS)
def test_create_bad_input_is_422_with_code_and_field_and_writes_nothing(sandbox, stocked, path, value, code, field):
    before = snapshot()
    response = create(sandbox, _mutate(path, value)(order_body()), key="key-bad-input")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["field"] == field
    assert snapshot() == before


def test_create_unknown_sku_on_second_line_names_it(sandbox, stocked):
    body = order_body(items=[{"sku": "WIDGET-BLUE-M", "quantity": 1}, {"sku": "GHOST", "quantity": 1}])
    before = snapshot()
    response = create(sandbox, body)
    assert (response.status_code, response.json()["error"]["code"]) == (422, "unknown_sku")
    assert response.json()["error"]["field"] == "items[1].sku"
    assert snapshot() == before


def test_create_deleted_sku_is_unknown(sandbox, stocked):
    assert sandbox.delete("/v1/products/WIDGET-BLUE-M").status_code == 200
    before = snapshot()
    response = create(sandbox)
    assert (response.status_code, response.json()["error"]["code"]) == (422, "unknown_sku")
    assert response.json()["error"]["field"] == "items[0].sku"
    assert snapshot() == before


def test_create_sku_of_other_environment_is_unknown(live, stocked):
    body = order_body(items=[{"sku": "WIDGET-RED-S", "quantity": 1}])  # only stocked in sandbox
    response = create(live, body)
    assert (response.status_code, response.json()["error"]["code"]) == (422, "unknown_sku")


def test_create_warehouse_not_allowed_for_tenant(sandbox, stocked):
    from fulfillment.models import Warehouse

    stocked.allowed_warehouses.set([Warehouse.objects.get(public_id="wh_mel_1")])
    before = snapshot()
    response = create(sandbox)
    assert response.status_code == 422
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (
        "invalid_warehouse",
        "warehouse_id",
    )
    assert snapshot() == before


def test_create_unmatched_free_text_shipping_method(sandbox, stocked):
    body = order_body()
    del body["shipping_method_id"]
    body["shipping_method"] = "Carrier pigeon"
    before = snapshot()
    response = create(sandbox, body)
    assert response.status_code == 422
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (
        "invalid_shipping_method",
        "shipping_method",
    )
    assert snapshot() == before


def test_create_ambiguous_free_text_shipping_method_is_refused(sandbox, stocked):
    body = order_body()
    del body["shipping_method_id"]
    body["shipping_method"] = "P"  # Parcel Post and... only one starts with P; "Post" matches none by prefix
    assert create(sandbox, body).json()["shipping_method_id"] == "sm_auspost_parcel"
    body = order_body(reference="F-2")
    del body["shipping_method_id"]
    body["shipping_method"] = ""
    assert create(sandbox, body).json()["shipping_method_id"] is None


def test_create_malformed_json_is_400(sandbox, stocked):
    response = sandbox.post("/v1/orders", raw=b'{"order_number": ', content_type="application/json")
    assert response.status_code == 400
    assert Order.objects.count() == 0


# --- reference dedup ----------------------------------------------------------


def test_same_reference_same_payload_returns_existing_with_200(sandbox, stocked):
    first = create(sandbox)
    second = create(sandbox)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"]
    assert Order.objects.count() == 1
    assert cell_numbers(stocked, "sandbox", "WIDGET-BLUE-M") == (10, 2, 0)


def test_same_reference_different_payload_is_409_naming_existing_id(sandbox, stocked):
    first = create(sandbox).json()
    before = snapshot()
    response = create(sandbox, order_body(order_number="SO-999"))
    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["code"], error["field"], error["existing_id"]) == ("duplicate_reference", "reference", first["id"])
    assert snapshot() == before


def test_reference_is_per_environment_and_tenant(sandbox, live, other_sandbox, stocked, other_tenant):
    stock_set(other_tenant, "sandbox", "WIDGET-BLUE-M", "wh_syd_1", 5)
    assert create(sandbox).status_code == 201
    assert create(live).status_code == 201
    assert create(other_sandbox).status_code == 201
    assert Order.objects.count() == 3


# --- read & list --------------------------------------------------------------


def test_get_order_returns_full_object_with_etag(sandbox, stocked):
    created = create(sandbox).json()
    response = sandbox.get(f"/v1/orders/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created
    assert response["ETag"] == '"1"'


def test_get_order_of_other_tenant_or_environment_is_404(sandbox, live, other_sandbox, stocked):
    order_id = create(sandbox).json()["id"]
    for api in (live, other_sandbox):
        assert api.get(f"/v1/orders/{order_id}").status_code == 404
        assert api.patch(f"/v1/orders/{order_id}", {"packing_note": "x"}).status_code == 404
        assert api.post(f"/v1/orders/{order_id}/cancel").status_code == 404
    assert sandbox.get("/v1/orders/ord_unknown").json()["error"]["code"] == "not_found"
    order = Order.objects.get()
    assert (order.version, order.status, order.packing_note) == (1, "received", "Leave in porch")


def test_get_order_includes_shipments(sandbox, stocked):
    from django.utils import timezone

    from fulfillment.models import Carrier, Parcel, Shipment, ShipmentItem

    order_id = create(sandbox).json()["id"]
    order = Order.objects.get(public_id=order_id)
    shipment = Shipment.objects.create(
        tenant=order.tenant, environment="sandbox", order=order, warehouse=order.warehouse, shipped_at=timezone.now()
    )
    Parcel.objects.create(
        shipment=shipment, tracking_number="AP123", carrier=Carrier.objects.get(code="auspost"), service="Express"
    )
    ShipmentItem.objects.create(shipment=shipment, order_line=order.lines.get(), sku="WIDGET-BLUE-M", quantity=2)
    body = sandbox.get(f"/v1/orders/{order_id}").json()
    assert len(body["shipments"]) == 1
    assert body["shipments"][0]["id"] == shipment.public_id
    assert body["shipments"][0]["parcels"][0]["tracking_number"] == "AP123"
    assert body["shipments"][0]["items"] == [{"sku": "WIDGET-BLUE-M", "quantity": 2}]


def test_list_orders_filters(sandbox, live, stocked):
    a = create(sandbox, order_body(reference="R-1", order_number="SO-1")).json()
    b = create(
        sandbox, order_body(reference="R-2", order_number="SO-2", items=[{"sku": "WIDGET-RED-S", "quantity": 9}])
    )
    b = b.json()
    create(live, order_body(reference="R-3", order_number="SO-1"))
    ids = lambda r: [o["id"] for o in r.json()["data"]]  # noqa: E731
    assert ids(sandbox.get("/v1/orders")) == [a["id"], b["id"]]
    assert ids(sandbox.get("/v1/orders", {"status": "backordered"})) == [b["id"]]
    assert ids(sandbox.get("/v1/orders", {"order_number": "SO-1"})) == [a["id"]]
    assert ids(sandbox.get("/v1/orders", {"reference": "R-2"})) == [b["id"]]
    assert sandbox.get("/v1/orders").json()["pagination"]["has_more"] is False


def test_list_orders_bad_status_is_422(sandbox, stocked):
    response = sandbox.get("/v1/orders", {"status": "lost"})
    assert response.status_code == 422
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == ("invalid_choice", "status")


def test_list_orders_bad_updated_since_is_422(sandbox, stocked):
    response = sandbox.get("/v1/orders", {"updated_since": "2026-07-02T09:15:00"})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "updated_since"


# Each request commits on its own, as in production: on PostgreSQL a change position is a transaction id.
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("feed_without_watermark")
def test_list_orders_updated_since_and_cursor(sandbox, stocked):
    first = create(sandbox, order_body(reference="R-1")).json()
    second = create(sandbox, order_body(reference="R-2")).json()
    page = sandbox.get("/v1/orders", {"limit": 1}).json()
    assert [o["id"] for o in page["data"]] == [first["id"]]
    assert page["pagination"]["has_more"] is True
    page2 = sandbox.get("/v1/orders", {"limit": 1, "cursor": page["pagination"]["next_cursor"]}).json()
    assert [o["id"] for o in page2["data"]] == [second["id"]]
    # An amendment moves the first order to the end of the feed.
    sandbox.patch(f"/v1/orders/{first['id']}", {"packing_note": "Back door"})
    resumed = sandbox.get("/v1/orders", {"cursor": page2["pagination"]["resume_cursor"]}).json()
    assert [o["id"] for o in resumed["data"]] == [first["id"]]
    future = sandbox.get("/v1/orders", {"updated_since": "2099-01-01T00:00:00Z"}).json()
    assert future["data"] == []


def test_list_orders_other_tenant_sees_nothing(sandbox, other_sandbox, stocked):
    create(sandbox)
    assert other_sandbox.get("/v1/orders").json()["data"] == []


def _ship_all(tenant):
    """Give every order without one a shipment with a parcel and an item, so the list prefetches all of it."""
    from django.utils import timezone

    from fulfillment.models import Carrier, Parcel, Shipment, ShipmentItem

    carrier = Carrier.objects.get(code="auspost")
    for order in Order.objects.filter(tenant=tenant, shipments__isnull=True):
        shipment = Shipment.objects.create(
            tenant=tenant, environment="sandbox", order=order, warehouse=order.warehouse, shipped_at=timezone.now()
        )
        Parcel.objects.create(shipment=shipment, tracking_number=f"T{order.pk}", carrier=carrier, service="Express")
        ShipmentItem.objects.create(shipment=shipment, order_line=order.lines.first(), sku="WIDGET-BLUE-M", quantity=1)


def test_list_page_of_100_orders_uses_fixed_number_of_queries(sandbox, stocked):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fulfillment.api.orders import OrderCreateIn
    from fulfillment.services.orders import order_create

    stock_set(stocked, "sandbox", "WIDGET-BLUE-M", "wh_syd_1", 1000)

    def make_orders(numbers):
        for i in numbers:
            data = OrderCreateIn(data=order_body(reference=f"R-{i}"))
            data.is_valid(raise_exception=True)
            order_create(tenant=stocked, environment="sandbox", data=data.validated_data)
        _ship_all(stocked)

    make_orders(range(3))
    sandbox.get("/v1/me")  # the key's first use writes last_used_at once; keep that out of the count
    with CaptureQueriesContext(connection) as small:
        page = sandbox.get("/v1/orders", {"limit": 100}).json()["data"]
    assert [len(o["shipments"][0]["parcels"]) for o in page] == [1, 1, 1]
    make_orders(range(3, 100))
    with CaptureQueriesContext(connection) as large:
        page = sandbox.get("/v1/orders", {"limit": 100}).json()["data"]
    assert len(page) == 100
    assert all(len(o["shipments"]) == 1 for o in page)
    # Auth + orders + lines + shipments (with order, warehouse) + parcels + carriers + shipment items.
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(large.captured_queries) == 7


# --- amend --------------------------------------------------------------------


def test_patch_changes_only_sent_fields_and_bumps_version(sandbox, stocked):
    created = create(sandbox).json()
    response = sandbox.patch(
        f"/v1/orders/{created['id']}",
        {
            "shipping_method_id": "sm_auspost_parcel",
            "ship_to": {"address1": "456 New Street", "address2": "Unit 5", "postcode": "2010"},
        },
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == "2"
    assert response["ETag"] == '"2"'
    assert body["shipping_method_id"] == "sm_auspost_parcel"
    assert body["ship_to"]["address1"] == "456 New Street"
    assert body["ship_to"]["address2"] == "Unit 5"
    assert body["ship_to"]["postcode"] == "2010"
    assert body["ship_to"]["name"] == "Jane Doe"
    assert body["ship_to"]["email"] == "jane@example.com"
    assert body["packing_note"] == "Leave in porch"
    assert body["items"] == created["items"]
    history = OrderHistory.objects.filter(kind="amended").get()
    assert history.version == 2
    assert history.changes["ship_to.address1"] == ["123 Main St", "456 New Street"]
    assert history.changes["shipping_method_id"] == ["sm_auspost_express", "sm_auspost_parcel"]


def test_patch_items_replace_lines_and_reallocate(sandbox, stocked):
    created = create(sandbox).json()
    response = sandbox.patch(
        f"/v1/orders/{created['id']}",
        {"items": [{"sku": "WIDGET-BLUE-M", "quantity": 1}, {"sku": "WIDGET-RED-S", "quantity": 7}]},
        headers={"If-Match": "1"},
    )
    assert response.status_code == 200
    body = response.json()
    assert [(i["sku"], i["quantity"], i["quantity_allocated"], i["quantity_backordered"]) for i in body["items"]] == [
        ("WIDGET-BLUE-M", 1, 1, 0),
        ("WIDGET-RED-S", 7, 5, 2),
    ]
    assert body["status"] == "backordered"
    assert cell_numbers(stocked, "sandbox", "WIDGET-BLUE-M") == (10, 1, 0)
    assert cell_numbers(stocked, "sandbox", "WIDGET-RED-S") == (5, 5, 2)
    assert OrderLine.objects.count() == 2
    # And back: fewer units, fully allocated again.
    response = sandbox.patch(
        f"/v1/orders/{created['id']}", {"items": [{"sku": "WIDGET-RED-S", "quantity": 5}]}, headers={"If-Match": "2"}
    )
    assert response.json()["status"] == "received"
    assert cell_numbers(stocked, "sandbox", "WIDGET-BLUE-M") == (10, 0, 0)
    assert cell_numbers(stocked, "sandbox", "WIDGET-RED-S") == (5, 5, 0)


def test_patch_with_stale_if_match_is_409_version_conflict(sandbox, stocked):
    order_id = create(sandbox).json()["id"]
    sandbox.patch(f"/v1/orders/{order_id}", {"packing_note": "one"}, headers={"If-Match": '"1"'})
    before = snapshot()
    response = sandbox.patch(f"/v1/orders/{order_id}", {"packing_note": "two"}, headers={"If-Match": '"1"'})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "version_conflict"
    assert response.json()["error"]["current_version"] == "2"
    assert snapshot() == before


def test_patch_without_if_match_is_applied(sandbox, stocked):
    order_id = create(sandbox).json()["id"]
    response = sandbox.patch(f"/v1/orders/{order_id}", {"gift_message": "Happy birthday"})
    assert response.status_code == 200
    assert response.json()["gift_message"] == "Happy birthday"
    star = sandbox.patch(f"/v1/orders/{order_id}", {"gift_message": "Hi"}, headers={"If-Match": "*"})
    assert (star.status_code, star.json()["version"]) == (200, "3")
    junk = sandbox.patch(f"/v1/orders/{order_id}", {"gift_message": "Yo"}, headers={"If-Match": '"v3"'})
    assert (junk.status_code, junk.json()["error"]["code"]) == (409, "version_conflict")
    weak = sandbox.patch(f"/v1/orders/{order_id}", {"gift_message": "Yo"}, headers={"If-Match": 'W/"3"'})
    assert (weak.status_code, weak.json()["version"]) == (200, "4")


def test_patch_warehouse_change_is_422(sandbox, stocked):
    order_id = create(sandbox).json()["id"]
    before = snapshot()
    response = sandbox.patch(f"/v1/orders/{order_id}", {"warehouse_id": "wh_mel_1", "packing_note": "x"})
    assert response.status_code == 422
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (
        "warehouse_change_not_allowed",
        "warehouse_id",
    )
    assert snapshot() == before
    assert sandbox.patch(f"/v1/orders/{order_id}", {"warehouse_id": "wh_syd_1"}).status_code == 200


def test_patch_after_picking_started_is_409_too_late(sandbox, stocked):
    from fulfillment.services.orders import order_start_picking

    order_id = create(sandbox).json()["id"]
    order_start_picking(order=Order.objects.get(public_id=order_id), actor_label="staff:test")
    before = snapshot()
    response = sandbox.patch(f"/v1/orders/{order_id}", {"packing_note": "late"}, headers={"If-Match": '"2"'})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "too_late_to_amend"
    assert response.json()["error"]["order_status"] == "processing"
    assert snapshot() == before


PATCH_BAD_INPUTS = [
    ({"items": []}, "missing_field", "items"),
    ({"items": [{"sku": "GHOST", "quantity": 1}]}, "unknown_sku", "items[0].sku"),
    ({"items": [{"sku": "WIDGET-BLUE-M", "quantity": 0}]}, "out_of_range", "items[0].quantity"),
    ({"ship_to": {"country": "XX"}}, "invalid_country", "ship_to.country"),
    ({"ship_to": {"name": ""}}, "missing_field", "ship_to.name"),
    ({"ship_to": {"email": "nope"}}, "invalid_email", "ship_to.email"),
    ({"shipping_method_id": "sm_nope"}, "invalid_shipping_method", "shipping_method_id"),
    ({"packing_note": "a\rb"}, "invalid_characters", "packing_note"),
]


@pytest.mark.parametrize(("body", "code", "field"), PATCH_BAD_INPUTS)
def test_patch_bad_input_is_422_and_changes_nothing(sandbox, stocked, body, code, field):
    order_id = create(sandbox).json()["id"]
    before = snapshot()
    response = sandbox.patch(f"/v1/orders/{order_id}", body, headers={"If-Match": '"1"'})
    assert response.status_code == 422
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (code, field)
    assert snapshot() == before


def test_patch_forbidden_by_tenant_policy_is_403(sandbox, stocked):
    order_id = create(sandbox).json()["id"]
    stocked.api_amend_allowed = False
    stocked.save()
    before = snapshot()
    response = sandbox.patch(f"/v1/orders/{order_id}", {"packing_note": "x"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "operation_not_permitted"
    assert snapshot() == before


# --- cancel -------------------------------------------------------------------


def test_cancel_releases_allocation_and_is_repeatable(sandbox, stocked):
    order_id = create(sandbox, order_body(items=[{"sku": "WIDGET-RED-S", "quantity": 7}])).json()["id"]
    assert cell_numbers(stocked, "sandbox", "WIDGET-RED-S") == (5, 5, 2)
    response = sandbox.post(f"/v1/orders/{order_id}/cancel")
    assert response.status_code == 200
    assert response.json()["id"] == order_id
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancelled_at"].endswith("Z")
    assert cell_numbers(stocked, "sandbox", "WIDGET-RED-S") == (5, 0, 0)
    again = sandbox.post(f"/v1/orders/{order_id}/cancel")
    assert again.status_code == 200
    assert again.json()["status"] == "cancelled"
    assert again.json()["version"] == response.json()["version"]
    assert OrderHistory.objects.filter(kind="cancelled").count() == 1


def test_cancel_after_picking_started_is_409_too_late(sandbox, stocked):
    from fulfillment.services.orders import order_start_picking

    order_id = create(sandbox).json()["id"]
    order_start_picking(order=Order.objects.get(public_id=order_id), actor_label="staff:test")
    before = snapshot()
    response = sandbox.post(f"/v1/orders/{order_id}/cancel")
    assert response.status_code == 409
    assert (response.json()["error"]["code"], response.json()["error"]["order_status"]) == (
        "too_late_to_cancel",
        "processing",
    )
    assert snapshot() == before


def test_cancel_after_shipping_is_409_already_shipped(sandbox, stocked):
    from fulfillment.services.orders import order_transition

    order_id = create(sandbox).json()["id"]
    order_transition(order=Order.objects.get(public_id=order_id), to_status="shipped", actor_label="test")
    before = snapshot()
    response = sandbox.post(f"/v1/orders/{order_id}/cancel")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_shipped"
    assert snapshot() == before
    patch = sandbox.patch(f"/v1/orders/{order_id}", {"packing_note": "x"})
    assert (patch.status_code, patch.json()["error"]["code"]) == (409, "too_late_to_amend")


def test_cancel_forbidden_by_tenant_policy_is_403(sandbox, stocked):
    order_id = create(sandbox).json()["id"]
    stocked.api_cancel_allowed = False
    stocked.save()
    before = snapshot()
    response = sandbox.post(f"/v1/orders/{order_id}/cancel")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "operation_not_permitted"
    assert snapshot() == before


def test_cancel_frees_stock_for_oldest_backorder(sandbox, stocked):
    first = create(sandbox, order_body(reference="R-1", items=[{"sku": "WIDGET-RED-S", "quantity": 5}])).json()
    second = create(sandbox, order_body(reference="R-2", items=[{"sku": "WIDGET-RED-S", "quantity": 2}])).json()
    third = create(sandbox, order_body(reference="R-3", items=[{"sku": "WIDGET-RED-S", "quantity": 2}])).json()
    assert (second["status"], third["status"]) == ("backordered", "backordered")
    sandbox.post(f"/v1/orders/{first['id']}/cancel")
    assert sandbox.get(f"/v1/orders/{second['id']}").json()["status"] == "received"
    assert sandbox.get(f"/v1/orders/{third['id']}").json()["status"] == "received"
    assert cell_numbers(stocked, "sandbox", "WIDGET-RED-S") == (5, 4, 0)


# --- events -------------------------------------------------------------------


def test_events_emitted_for_create_amend_cancel(sandbox, stocked, monkeypatch):
    emitted = []
    monkeypatch.setattr(
        "fulfillment.services.orders.event_emit", lambda **kwargs: emitted.append((kwargs["event_type"], kwargs))
    )
    order_id = create(sandbox).json()["id"]
    sandbox.patch(f"/v1/orders/{order_id}", {"packing_note": "x"})
    cancelled = sandbox.post(f"/v1/orders/{order_id}/cancel").json()
    assert [e[0] for e in emitted] == ["order.created", "order.updated", "order.cancelled"]
    assert emitted[0][1]["environment"] == "sandbox"
    assert emitted[0][1]["tenant"] == stocked
    assert emitted[2][1]["data"] == cancelled


def test_patch_that_changes_nothing_keeps_version(sandbox, stocked):
    created = create(sandbox).json()
    same = {
        "packing_note": "Leave in porch",
        "items": [
            {
                "sku": "WIDGET-BLUE-M",
                "description": "Blue Widget — Medium",
                "quantity": 2,
                "unit_price": "19.99",
                "currency": "AUD",
            }
        ],
    }
    before = snapshot()
    response = sandbox.patch(f"/v1/orders/{created['id']}", same, headers={"If-Match": '"1"'})
    assert response.status_code == 200
    assert response.json()["version"] == "1"
    assert snapshot() == before
