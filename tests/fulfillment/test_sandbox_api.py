"""The sandbox simulator under /v1/sandbox, and the whole Phase 1 loop through the API alone."""

from __future__ import annotations

import re
import uuid

import pytest

from fulfillment.models import Order, OrderStatus, Shipment, StockMovement
from tests.fulfillment.shipments_support import (
    cell,
    feed_without_watermark,  # noqa: F401 - a fixture
    make_order,
    set_stock,
)

pytestmark = pytest.mark.django_db

# On PostgreSQL change_seq is the writer's transaction id, so a test that watches a row move
# in a feed needs real commits (and see feed_without_watermark).
FEED = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("feed_without_watermark")]

TRACKING = re.compile(r"^AP\d{10}AU$")


def create_order(api, items, reference=None, **fields):
    reference = reference or f"F-{uuid.uuid4().hex[:10]}"
    body = {
        "order_number": f"SO-{reference}",
        "reference": reference,
        "warehouse_id": "wh_syd_1",
        "shipping_method_id": "sm_auspost_express",
        "ship_to": {
            "name": "Jane Doe",
            "address1": "123 Main St",
            "city": "Sydney",
            "state": "NSW",
            "postcode": "2000",
            "country": "AU",
        },
        "items": [{"sku": sku, "quantity": q} for sku, q in items],
        **fields,
    }
    response = api.post("/v1/orders", body, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 201, response.json()
    return response.json()


@FEED[0]
@FEED[1]
def test_the_whole_loop_through_the_api_with_a_sandbox_key(sandbox):
    # Catalogue and stock, through the API.
    assert sandbox.post("/v1/products", {"sku": "WIDGET-BLUE-M"}).status_code == 201
    stocked = sandbox.post("/v1/sandbox/inventory", {"sku": "WIDGET-BLUE-M", "warehouse_id": "wh_syd_1", "on_hand": 10})
    assert stocked.status_code == 200
    assert stocked.json()["warehouses"][0]["on_hand"] == 10

    # The ERP creates an order and starts polling shipments.
    order = create_order(sandbox, [("WIDGET-BLUE-M", 3)])
    assert order["status"] == "received"
    poll = sandbox.get("/v1/shipments", {"updated_since": "2026-01-01T00:00:00Z"}).json()
    assert poll["data"] == []

    # The warehouse (simulated) ships it in two boxes.
    shipped = sandbox.post(f"/v1/sandbox/orders/{order['id']}/ship", {"parcels": 2})
    assert shipped.status_code == 201

    poll = sandbox.get("/v1/shipments", {"updated_since": "2026-01-01T00:00:00Z"}).json()
    assert len(poll["data"]) == 1
    shipment = poll["data"][0]
    assert shipment == shipped.json()
    assert shipment["order_id"] == order["id"]
    assert shipment["order_number"] == order["order_number"]
    assert shipment["status"] == "shipped"
    assert shipment["items"] == [{"sku": "WIDGET-BLUE-M", "quantity": 3}]
    numbers = [p["tracking_number"] for p in shipment["parcels"]]
    assert len(numbers) == 2 and len(set(numbers)) == 2
    assert all(TRACKING.match(n) for n in numbers)
    assert all(p["tracking_url"] == f"https://auspost.com.au/track/{p['tracking_number']}" for p in shipment["parcels"])
    assert shipment["cost"] == {"amount": "18.50", "currency": "AUD"}
    resume = poll["pagination"]["resume_cursor"]
    assert sandbox.get(f"/v1/orders/{order['id']}").json()["status"] == "shipped"

    # The carrier moves it along; the next poll from the stored cursor returns it again.
    statuses = [sandbox.post(f"/v1/sandbox/shipments/{shipment['id']}/advance").json()["status"] for _ in range(3)]
    assert statuses == ["in_transit", "out_for_delivery", "delivered"]
    again = sandbox.get("/v1/shipments", {"cursor": resume}).json()
    assert [(s["id"], s["status"]) for s in again["data"]] == [(shipment["id"], "delivered")]

    # Stock moved: 3 units left the building and are no longer allocated.
    inventory = sandbox.get("/v1/inventory/WIDGET-BLUE-M").json()
    assert inventory["warehouses"] == [
        {"warehouse_id": "wh_syd_1", "on_hand": 7, "available": 7, "allocated": 0, "incoming": 0, "backordered": 0}
    ]


def test_partial_shipment_by_items_then_the_rest(sandbox, tenant):
    set_stock(tenant, "sandbox", "A", 10)
    set_stock(tenant, "sandbox", "B", 10)
    order = make_order(tenant, "sandbox", [("A", 2), ("B", 1)])

    first = sandbox.post(f"/v1/sandbox/orders/{order.public_id}/ship", {"items": [{"sku": "A", "quantity": 1}]})
    assert first.status_code == 201
    assert first.json()["items"] == [{"sku": "A", "quantity": 1}]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PARTIALLY_SHIPPED

    rest = sandbox.post(f"/v1/sandbox/orders/{order.public_id}/ship", {})
    assert rest.json()["items"] == [{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 1}]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED

    too_late = sandbox.post(f"/v1/sandbox/orders/{order.public_id}/ship", {})
    assert too_late.status_code == 409
    assert too_late.json()["error"]["code"] == "already_shipped"


def test_shipping_more_than_ordered_is_409_and_changes_nothing(sandbox, tenant):
    set_stock(tenant, "sandbox", "A", 10)
    order = make_order(tenant, "sandbox", [("A", 2)])

    response = sandbox.post(f"/v1/sandbox/orders/{order.public_id}/ship", {"items": [{"sku": "A", "quantity": 3}]})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "exceeds_ordered_quantity"
    assert response.json()["error"]["field"] == "items[0].quantity"
    assert Shipment.objects.count() == 0
    assert cell(tenant, "sandbox", "A") == {"on_hand": 10, "allocated": 2, "backordered": 0}


def test_shipping_a_cancelled_order_is_409(sandbox, tenant):
    set_stock(tenant, "sandbox", "A", 10)
    order = create_order(sandbox, [("A", 2)])
    assert sandbox.post(f"/v1/orders/{order['id']}/cancel").status_code == 200

    response = sandbox.post(f"/v1/sandbox/orders/{order['id']}/ship", {})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "order_cancelled"
    assert response.json()["error"]["order_status"] == "cancelled"
    assert Shipment.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"parcels": 0}, "out_of_range", "parcels"),
        ({"parcels": 21}, "out_of_range", "parcels"),
        ({"parcels": "two"}, "invalid_field", "parcels"),
        ({"items": []}, "missing_field", "items"),
        ({"items": [{"sku": "A", "quantity": 0}]}, "out_of_range", "items[0].quantity"),
        ({"items": [{"sku": "ZZZ", "quantity": 1}]}, "sku_not_on_order", "items[0].sku"),
    ],
)
def test_ship_input_is_validated(sandbox, tenant, body, code, field):
    set_stock(tenant, "sandbox", "A", 10)
    order = make_order(tenant, "sandbox", [("A", 2)])

    response = sandbox.post(f"/v1/sandbox/orders/{order.public_id}/ship", body)

    assert response.status_code == 422
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (code, field)
    assert Shipment.objects.count() == 0


def test_advance_past_delivered_is_409(sandbox, tenant):
    set_stock(tenant, "sandbox", "A", 10)
    order = make_order(tenant, "sandbox", [("A", 1)])
    shipment = sandbox.post(f"/v1/sandbox/orders/{order.public_id}/ship", {}).json()
    for _ in range(3):
        sandbox.post(f"/v1/sandbox/shipments/{shipment['id']}/advance")

    response = sandbox.post(f"/v1/sandbox/shipments/{shipment['id']}/advance")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_shipment_transition"
    assert response.json()["error"]["shipment_status"] == "delivered"


def test_start_picking_moves_order_to_processing_and_amend_then_gets_409(sandbox, tenant):
    set_stock(tenant, "sandbox", "A", 10)
    order = create_order(sandbox, [("A", 2)])

    response = sandbox.post(f"/v1/sandbox/orders/{order['id']}/start-picking")

    assert response.status_code == 200
    assert response.json() == {"id": order["id"], "status": "processing"}
    amend = sandbox.patch(f"/v1/orders/{order['id']}", {"packing_note": "late change"})
    assert amend.status_code == 409
    assert amend.json()["error"]["code"] == "too_late_to_amend"
    again = sandbox.post(f"/v1/sandbox/orders/{order['id']}/start-picking")
    assert again.status_code == 409


def test_sandbox_inventory_sets_on_hand_and_allocates_backorders(sandbox, tenant):
    sandbox.post("/v1/products", {"sku": "A"})
    order = create_order(sandbox, [("A", 3)])
    assert order["status"] == "backordered"

    response = sandbox.post("/v1/sandbox/inventory", {"sku": "A", "warehouse_id": "wh_syd_1", "on_hand": 5})

    assert response.status_code == 200
    assert response.json()["warehouses"] == [
        {"warehouse_id": "wh_syd_1", "on_hand": 5, "available": 2, "allocated": 3, "incoming": 0, "backordered": 0}
    ]
    assert sandbox.get(f"/v1/orders/{order['id']}").json()["status"] == "received"
    movement = StockMovement.objects.get(reason=StockMovement.Reason.SANDBOX_SET)
    assert (movement.delta_on_hand, movement.on_hand_after) == (5, 5)


def test_sandbox_inventory_can_lower_on_hand_but_not_below_allocated(sandbox, tenant):
    set_stock(tenant, "sandbox", "A", 10)
    make_order(tenant, "sandbox", [("A", 4)])

    lowered = sandbox.post("/v1/sandbox/inventory", {"sku": "A", "warehouse_id": "wh_syd_1", "on_hand": 6})
    refused = sandbox.post("/v1/sandbox/inventory", {"sku": "A", "warehouse_id": "wh_syd_1", "on_hand": 3})

    assert lowered.json()["warehouses"][0]["on_hand"] == 6
    assert refused.status_code == 409
    assert (refused.json()["error"]["code"], refused.json()["error"]["field"]) == ("insufficient_stock", "on_hand")
    assert cell(tenant, "sandbox", "A") == {"on_hand": 6, "allocated": 4, "backordered": 0}


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"sku": "NOPE", "warehouse_id": "wh_syd_1", "on_hand": 1}, "unknown_sku", "sku"),
        ({"sku": "A", "warehouse_id": "wh_nowhere", "on_hand": 1}, "invalid_warehouse", "warehouse_id"),
        ({"sku": "A", "warehouse_id": "wh_syd_1", "on_hand": -1}, "out_of_range", "on_hand"),
        ({"sku": "A", "warehouse_id": "wh_syd_1"}, "missing_field", "on_hand"),
        ({"sku": "A?", "warehouse_id": "wh_syd_1", "on_hand": 1}, "invalid_characters", "sku"),
    ],
)
def test_sandbox_inventory_input_is_validated(sandbox, tenant, body, code, field):
    set_stock(tenant, "sandbox", "A", 2)

    response = sandbox.post("/v1/sandbox/inventory", body)

    assert response.status_code == 422
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (code, field)
    assert cell(tenant, "sandbox", "A")["on_hand"] == 2


SANDBOX_ROUTES = [
    "/v1/sandbox/orders/{order}/ship",
    "/v1/sandbox/orders/{order}/start-picking",
    "/v1/sandbox/shipments/{shipment}/advance",
    "/v1/sandbox/inventory",
]


@pytest.mark.parametrize("route", SANDBOX_ROUTES)
def test_a_live_key_gets_404_on_every_sandbox_route(live, tenant, route):
    set_stock(tenant, "live", "A", 10)
    order = make_order(tenant, "live", [("A", 2)])
    path = route.format(order=order.public_id, shipment="shp_x")
    body = {"sku": "A", "warehouse_id": "wh_syd_1", "on_hand": 99}

    response = live.post(path, body)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "route_not_found"
    assert response.json()["error"]["message"] == f"No endpoint at POST {path}."
    assert Order.objects.get(pk=order.pk).status == OrderStatus.RECEIVED
    assert Shipment.objects.count() == 0
    assert cell(tenant, "live", "A")["on_hand"] == 10


def test_a_read_only_live_key_gets_404_not_403(tenant, reference_data, api_for):
    from tests.factories import make_connection

    read_only_live = api_for(make_connection(tenant, "live", name="ro", scope="read_only").key)

    response = read_only_live.post("/v1/sandbox/inventory", {"sku": "A", "warehouse_id": "wh_syd_1", "on_hand": 1})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "route_not_found"


@pytest.mark.parametrize("route", SANDBOX_ROUTES)
def test_anonymous_gets_401_on_sandbox_routes(anonymous, reference_data, route):
    assert anonymous.post(route.format(order="ord_x", shipment="shp_x"), {}).status_code == 401


def test_another_tenants_order_and_shipment_are_404(sandbox, other_sandbox, tenant):
    set_stock(tenant, "sandbox", "A", 10)
    order = make_order(tenant, "sandbox", [("A", 2)])
    shipment = sandbox.post(f"/v1/sandbox/orders/{order.public_id}/ship", {}).json()

    assert other_sandbox.post(f"/v1/sandbox/orders/{order.public_id}/ship", {}).status_code == 404
    assert other_sandbox.post(f"/v1/sandbox/orders/{order.public_id}/start-picking").status_code == 404
    assert other_sandbox.post(f"/v1/sandbox/shipments/{shipment['id']}/advance").status_code == 404
    other = other_sandbox.post("/v1/sandbox/inventory", {"sku": "A", "warehouse_id": "wh_syd_1", "on_hand": 1})
    assert (other.status_code, other.json()["error"]["code"]) == (422, "unknown_sku")
    assert Shipment.objects.get(public_id=shipment["id"]).status == "shipped"


def test_a_read_only_sandbox_connection_cannot_use_the_simulator(tenant, reference_data, api_for):
    from tests.factories import make_connection

    read_only = api_for(make_connection(tenant, "sandbox", name="ro", scope="read_only").key)

    response = read_only.post("/v1/sandbox/inventory", {"sku": "A", "warehouse_id": "wh_syd_1", "on_hand": 1})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"


def test_ship_without_a_shipping_method_uses_the_default_carrier_and_service(sandbox, tenant):
    set_stock(tenant, "sandbox", "A", 10)
    order = make_order(tenant, "sandbox", [("A", 1)], method=None)

    shipment = sandbox.post(f"/v1/sandbox/orders/{order.public_id}/ship", {"parcels": 3}).json()

    assert [(p["carrier"], p["service"]) for p in shipment["parcels"]] == [("auspost", "Parcel Post")] * 3
    assert shipment["cost"] == {"amount": "17.95", "currency": "AUD"}
    assert shipment["parcels"][0]["weight"] == {"value": 1.2, "unit": "kg"}
