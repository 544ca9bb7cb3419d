"""Customer returns / RMAs (blueprint §5c): create, receive per item (sandbox and service), limits, isolation."""

from __future__ import annotations

import pytest

from config.api.errors import ApiError
from fulfillment.models import Return, ReturnItem, StockMovement, Warehouse
from fulfillment.services.returns import ReturnReceiptInput, return_process, return_record_unannounced
from tests.fulfillment.advanced_support import (
    EventRecorder,
    add_stock,
    api_order,
    assert_ledger_matches_stock,
    make_product,
    numbers,
    shipped_order,
)


@pytest.fixture
def events(monkeypatch):
    recorder = EventRecorder()
    monkeypatch.setattr("webhooks.services.event_emit", recorder)
    return recorder


@pytest.fixture
def shipped(sandbox, tenant):
    """An order of 1 × WIDGET-BLUE-M and 1 × WIDGET-RED-S, created and shipped through the API."""
    add_stock(tenant, "sandbox", "WIDGET-BLUE-M", 10)
    add_stock(tenant, "sandbox", "WIDGET-RED-S", 10)
    order = api_order(sandbox, "SO-100423", [("WIDGET-BLUE-M", 1), ("WIDGET-RED-S", 1)])
    response = sandbox.post(f"/v1/sandbox/orders/{order['id']}/ship", {})
    assert response.status_code == 201, response.json()
    return order


def rma_body(order, **changes):
    body = {
        "rma": "RMA-100423",
        "order_id": order["id"],
        "items": [{"sku": "WIDGET-BLUE-M", "quantity": 1}, {"sku": "WIDGET-RED-S", "quantity": 1}],
    }
    body.update(changes)
    return body


def create_return(api, body, headers=None):
    response = api.post("/v1/returns", body, headers=headers)
    assert response.status_code == 201, response.json()
    return response.json()


def receive(api, return_id, items):
    return api.post(f"/v1/sandbox/returns/{return_id}/receive", {"items": items})


RESELLABLE_AND_DAMAGED = [
    {"sku": "WIDGET-BLUE-M", "quantity": 1, "condition": "resellable"},
    {"sku": "WIDGET-RED-S", "quantity": 1, "condition": "damaged"},
]


def test_create_rma_returns_expected_return(sandbox, tenant, shipped):
    body = create_return(sandbox, rma_body(shipped))

    assert body["id"].startswith("ret_")
    assert body["status"] == "expected"
    assert (body["order_id"], body["order_number"], body["rma"]) == (shipped["id"], "SO-SO-100423", "RMA-100423")
    assert body["warehouse_id"] == "wh_syd_1"
    assert body["received_at"] is None
    assert body["items"] == [
        {"sku": "WIDGET-BLUE-M", "quantity": 1, "condition": None, "restocked": False, "expected_quantity": 1},
        {"sku": "WIDGET-RED-S", "quantity": 1, "condition": None, "restocked": False, "expected_quantity": 1},
    ]
    assert sandbox.get(f"/v1/returns/{body['id']}").json() == body
    assert numbers(tenant, "sandbox", "WIDGET-BLUE-M")["on_hand"] == 9


def test_create_by_order_number_with_explicit_warehouse(sandbox, shipped):
    body = create_return(
        sandbox, rma_body(shipped, order_id=None, order_number="SO-SO-100423", warehouse_id="wh_mel_1")
    )

    assert (body["order_id"], body["warehouse_id"]) == (shipped["id"], "wh_mel_1")


def test_one_resellable_and_one_damaged_line_restocks_only_the_resellable(sandbox, tenant, shipped, events):
    ret = create_return(sandbox, rma_body(shipped))
    before_red = numbers(tenant, "sandbox", "WIDGET-RED-S")

    response = receive(sandbox, ret["id"], RESELLABLE_AND_DAMAGED)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "received"
    assert body["received_at"].endswith("Z")
    assert body["items"] == [
        {"sku": "WIDGET-BLUE-M", "quantity": 1, "condition": "resellable", "restocked": True, "expected_quantity": 1},
        {"sku": "WIDGET-RED-S", "quantity": 1, "condition": "damaged", "restocked": False, "expected_quantity": 1},
    ]
    assert numbers(tenant, "sandbox", "WIDGET-BLUE-M") == {
        "on_hand": 10,
        "allocated": 0,
        "incoming": 0,
        "backordered": 0,
    }
    assert (
        numbers(tenant, "sandbox", "WIDGET-RED-S")
        == before_red
        == {
            "on_hand": 9,
            "allocated": 0,
            "incoming": 0,
            "backordered": 0,
        }
    )
    movement = StockMovement.objects.get(reason="return")
    assert (movement.source_id, movement.delta_on_hand, movement.product.sku) == (ret["id"], 1, "WIDGET-BLUE-M")
    assert_ledger_matches_stock(tenant, "sandbox")
    assert events.of("return.received") == [body]
    assert sandbox.get("/v1/returns", {"status": "received"}).json()["data"] == [body]


def test_restocked_return_allocates_a_backordered_order(sandbox, tenant, shipped):
    waiting = api_order(sandbox, "BO-RET", [("WIDGET-BLUE-M", 10)])
    assert waiting["status"] == "backordered"
    ret = create_return(sandbox, rma_body(shipped))

    receive(sandbox, ret["id"], RESELLABLE_AND_DAMAGED)

    assert sandbox.get(f"/v1/orders/{waiting['id']}").json()["status"] == "received"
    assert numbers(tenant, "sandbox", "WIDGET-BLUE-M") == {
        "on_hand": 10,
        "allocated": 10,
        "incoming": 0,
        "backordered": 0,
    }
    assert_ledger_matches_stock(tenant, "sandbox")


def test_return_exceeding_what_shipped_is_refused_and_writes_nothing(sandbox, shipped):
    body = rma_body(shipped, items=[{"sku": "WIDGET-RED-S", "quantity": 1}, {"sku": "WIDGET-BLUE-M", "quantity": 2}])

    response = sandbox.post("/v1/returns", body)

    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["code"], error["field"], error["returnable_quantity"]) == (
        "return_exceeds_shipped",
        "items[1].quantity",
        1,
    )
    assert Return.objects.count() == 0


def test_second_return_cannot_take_what_the_first_already_claims(sandbox, shipped):
    create_return(sandbox, rma_body(shipped, items=[{"sku": "WIDGET-BLUE-M", "quantity": 1}]))

    response = sandbox.post(
        "/v1/returns", rma_body(shipped, rma="RMA-2", items=[{"sku": "WIDGET-BLUE-M", "quantity": 1}])
    )

    assert response.status_code == 409
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (
        "return_exceeds_shipped",
        "items[0].quantity",
    )
    assert Return.objects.count() == 1


def test_unshipped_sku_cannot_be_returned(sandbox, tenant, shipped):
    make_product(tenant, "sandbox", "NEVER-SHIPPED")

    response = sandbox.post("/v1/returns", rma_body(shipped, items=[{"sku": "NEVER-SHIPPED", "quantity": 1}]))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "return_exceeds_shipped"


def test_receiving_more_than_shipped_is_refused_and_writes_nothing(sandbox, tenant, shipped):
    ret = create_return(sandbox, rma_body(shipped, items=[{"sku": "WIDGET-BLUE-M", "quantity": 1}]))

    response = receive(sandbox, ret["id"], [{"sku": "WIDGET-BLUE-M", "quantity": 2, "condition": "resellable"}])

    assert response.status_code == 409
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (
        "return_exceeds_shipped",
        "items[0].quantity",
    )
    assert sandbox.get(f"/v1/returns/{ret['id']}").json()["status"] == "expected"
    assert numbers(tenant, "sandbox", "WIDGET-BLUE-M")["on_hand"] == 9
    assert not StockMovement.objects.filter(reason="return").exists()


def test_receiving_twice_is_409(sandbox, tenant, shipped):
    ret = create_return(sandbox, rma_body(shipped))
    receive(sandbox, ret["id"], RESELLABLE_AND_DAMAGED)

    response = receive(sandbox, ret["id"], RESELLABLE_AND_DAMAGED)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "return_already_received"
    assert numbers(tenant, "sandbox", "WIDGET-BLUE-M")["on_hand"] == 10


def test_unannounced_line_and_explicit_restock_choice_are_recorded(sandbox, tenant, shipped):
    ret = create_return(sandbox, rma_body(shipped, items=[{"sku": "WIDGET-BLUE-M", "quantity": 1}]))

    body = receive(
        sandbox,
        ret["id"],
        [
            {"sku": "WIDGET-BLUE-M", "quantity": 1, "condition": "resellable", "restocked": False},
            {"sku": "WIDGET-RED-S", "quantity": 1, "condition": "wrong_item", "restocked": True},
        ],
    ).json()

    assert [(i["sku"], i["quantity"], i["restocked"], i["expected_quantity"]) for i in body["items"]] == [
        ("WIDGET-BLUE-M", 1, False, 1),
        ("WIDGET-RED-S", 1, True, 0),
    ]
    assert numbers(tenant, "sandbox", "WIDGET-BLUE-M")["on_hand"] == 9
    assert numbers(tenant, "sandbox", "WIDGET-RED-S")["on_hand"] == 10
    assert_ledger_matches_stock(tenant, "sandbox")


def test_same_rma_same_payload_is_200_and_different_payload_is_409(sandbox, shipped):
    first = create_return(sandbox, rma_body(shipped))

    again = sandbox.post("/v1/returns", rma_body(shipped))
    changed = sandbox.post("/v1/returns", rma_body(shipped, items=[{"sku": "WIDGET-BLUE-M", "quantity": 1}]))

    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert changed.status_code == 409
    assert (changed.json()["error"]["code"], changed.json()["error"]["field"]) == ("duplicate_rma", "rma")
    assert Return.objects.count() == 1


def test_idempotency_key_replays_the_original_answer(sandbox, shipped):
    body = rma_body(shipped, rma=None)
    first = sandbox.post("/v1/returns", body, headers={"Idempotency-Key": "ret-key-1"})
    second = sandbox.post("/v1/returns", body, headers={"Idempotency-Key": "ret-key-1"})

    assert first.status_code == 201
    assert (second.status_code, second["Idempotent-Replayed"]) == (200, "true")
    assert second.json()["id"] == first.json()["id"]
    assert Return.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"order_id": "ord_nope"}, "unknown_order", "order_id"),
        ({"order_id": None}, "missing_field", "order_id"),
        ({"order_id": None, "order_number": "SO-NOPE"}, "unknown_order", "order_number"),
        ({"order_number": "SO-OTHER"}, "order_mismatch", "order_number"),
        ({"warehouse_id": "wh_zzz"}, "invalid_warehouse", "warehouse_id"),
        ({"items": [{"sku": "NOPE", "quantity": 1}]}, "unknown_sku", "items[0].sku"),
        ({"items": [{"sku": "WIDGET-BLUE-M", "quantity": 0}]}, "out_of_range", "items[0].quantity"),
        ({"items": []}, "missing_field", "items"),
        ({"rma": "RMA:1"}, "invalid_characters", "rma"),
        (
            {"items": [{"sku": "WIDGET-BLUE-M", "quantity": 1}, {"sku": "WIDGET-BLUE-M", "quantity": 1}]},
            "duplicate_sku",
            "items[1].sku",
        ),
    ],
)
def test_bad_input_is_422_with_code_and_field_and_writes_nothing(sandbox, shipped, change, code, field):
    response = sandbox.post("/v1/returns", rma_body(shipped, **change))

    assert response.status_code == 422, response.json()
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (code, field)
    assert Return.objects.count() == 0


@pytest.mark.parametrize(
    ("items", "code", "field"),
    [
        ([{"sku": "WIDGET-BLUE-M", "quantity": 1, "condition": "broken"}], "invalid_choice", "items[0].condition"),
        ([{"sku": "WIDGET-BLUE-M", "quantity": 0, "condition": "damaged"}], "out_of_range", "items[0].quantity"),
        ([{"sku": "NOPE", "quantity": 1, "condition": "damaged"}], "unknown_sku", "items[0].sku"),
        ([], "missing_field", "items"),
    ],
)
def test_bad_receipt_is_422_and_writes_nothing(sandbox, tenant, shipped, items, code, field):
    ret = create_return(sandbox, rma_body(shipped))

    response = receive(sandbox, ret["id"], items)

    assert response.status_code == 422, response.json()
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (code, field)
    assert sandbox.get(f"/v1/returns/{ret['id']}").json()["status"] == "expected"
    assert not StockMovement.objects.filter(reason="return").exists()


def test_process_moves_a_received_return_to_processed(sandbox, tenant, shipped):
    ret = create_return(sandbox, rma_body(shipped))
    row = Return.objects.get(public_id=ret["id"])
    with pytest.raises(ApiError) as refused:
        return_process(tenant=tenant, environment="sandbox", ret=row, actor="staff:bob")
    assert (refused.value.status_code, refused.value.code) == (409, "return_not_received")

    receive(sandbox, ret["id"], RESELLABLE_AND_DAMAGED)
    return_process(tenant=tenant, environment="sandbox", ret=row, actor="staff:bob")

    body = sandbox.get(f"/v1/returns/{ret['id']}").json()
    assert body["status"] == "processed"
    assert body["processed_at"].endswith("Z")


def test_staff_can_receive_a_return_without_rma_or_order(sandbox, tenant, reference_data):
    make_product(tenant, "sandbox", "WIDGET-BLUE-M")

    ret = return_record_unannounced(
        tenant=tenant,
        environment="sandbox",
        warehouse=Warehouse.objects.get(public_id="wh_syd_1"),
        items=[
            ReturnReceiptInput(sku="WIDGET-BLUE-M", quantity=2, condition="resellable"),
            ReturnReceiptInput(sku="WIDGET-BLUE-M", quantity=1, condition="defective"),
        ],
        actor="staff:alice",
    )

    body = sandbox.get(f"/v1/returns/{ret.public_id}").json()
    assert (body["status"], body["order_id"], body["rma"]) == ("received", None, None)
    assert [(i["quantity"], i["condition"], i["restocked"]) for i in body["items"]] == [
        (2, "resellable", True),
        (1, "defective", False),
    ]
    assert numbers(tenant, "sandbox", "WIDGET-BLUE-M")["on_hand"] == 2
    assert_ledger_matches_stock(tenant, "sandbox")


def test_staff_return_of_a_known_order_respects_what_shipped(sandbox, tenant, reference_data):
    order = shipped_order(tenant, "sandbox", [("WIDGET-BLUE-M", 1)])

    with pytest.raises(ApiError) as refused:
        return_record_unannounced(
            tenant=tenant,
            environment="sandbox",
            warehouse=order.warehouse,
            order=order,
            items=[ReturnReceiptInput(sku="WIDGET-BLUE-M", quantity=2, condition="resellable")],
        )

    assert refused.value.code == "return_exceeds_shipped"
    assert Return.objects.count() == 0
    assert ReturnItem.objects.count() == 0


def test_isolation_anonymous_other_tenant_and_other_environment(sandbox, live, other_sandbox, anonymous, shipped):
    ret = create_return(sandbox, rma_body(shipped))
    one = f"/v1/returns/{ret['id']}"

    assert anonymous.get("/v1/returns").status_code == 401
    assert anonymous.get(one).status_code == 401
    assert anonymous.post("/v1/returns", rma_body(shipped)).status_code == 401
    assert anonymous.post(f"/v1/sandbox/returns/{ret['id']}/receive", {}).status_code == 401
    for other in (other_sandbox, live):
        assert other.get(one).status_code == 404
        assert other.get("/v1/returns").json()["data"] == []
    other = other_sandbox.post("/v1/returns", rma_body(shipped, rma="RMA-X"))
    assert (other.status_code, other.json()["error"]["code"]) == (422, "unknown_order")
    assert receive(other_sandbox, ret["id"], RESELLABLE_AND_DAMAGED).status_code == 404
    live_receive = receive(live, ret["id"], RESELLABLE_AND_DAMAGED)
    assert (live_receive.status_code, live_receive.json()["error"]["code"]) == (404, "route_not_found")
    assert sandbox.get(one).json()["status"] == "expected"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_returns_of_the_same_order_never_exceed_what_shipped(tenant, reference_data):
    import threading

    from django.db import connection

    from fulfillment.services.returns import ReturnLineInput, return_create

    order = shipped_order(tenant, "sandbox", [("WIDGET-BLUE-M", 1)])
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def attempt(n):
        try:
            barrier.wait()
            return_create(
                tenant=tenant,
                environment="sandbox",
                rma=f"RMA-RACE-{n}",
                order_id=order.public_id,
                items=[ReturnLineInput("WIDGET-BLUE-M", 1)],
            )
            outcomes.append("created")
        except ApiError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["created"] + ["return_exceeds_shipped"] * 5
    assert Return.objects.filter(order=order).count() == 1


def test_list_costs_the_same_number_of_queries_for_one_or_many_returns(sandbox, tenant, reference_data):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    orders = [shipped_order(tenant, "sandbox", [("WIDGET-BLUE-M", 1), ("WIDGET-RED-S", 1)]) for _ in range(4)]

    def rma(n):
        body = {"rma": f"RMA-Q{n}", "order_id": orders[n].public_id, "items": [{"sku": "WIDGET-BLUE-M", "quantity": 1}]}
        create_return(sandbox, body)

    rma(0)
    sandbox.get("/v1/returns")
    with CaptureQueriesContext(connection) as one:
        assert len(sandbox.get("/v1/returns").json()["data"]) == 1
    for n in range(1, 4):
        rma(n)
    with CaptureQueriesContext(connection) as many:
        assert len(sandbox.get("/v1/returns").json()["data"]) == 4

    assert len(many.captured_queries) == len(one.captured_queries)


def test_return_received_event_is_in_the_outbox_with_the_get_shape(sandbox, tenant, shipped):
    import json

    from webhooks.models import Event

    ret = create_return(sandbox, rma_body(shipped))
    body = receive(sandbox, ret["id"], RESELLABLE_AND_DAMAGED).json()

    rows = Event.objects.filter(tenant=tenant, environment="sandbox", event_type="return.received")
    assert [json.loads(row.payload)["data"] for row in rows] == [body]
