"""A walk over EVERY /v1 route from the URL resolver: one scope can neither read nor change another's objects.

Three scenarios: tenant A's key against tenant B's objects; a sandbox key
against the same tenant's live objects; a live key against its sandbox
objects. For every route with an id in its path, the attacker's request for
the victim's object must get exactly the answer a made-up id gets (no
existence oracle, never 2xx or 5xx), and afterwards every victim object reads
the same as before. Every list the attacker can call must not contain a
victim id. Routes added later are covered automatically; a path parameter
the walk cannot fill fails the coverage test so it gets added here.
"""

from __future__ import annotations

import re

import pytest

from benchmarks.payloads import ensure_catalogue, order_body
from tests.factories import make_connection
from tests.robustness.conftest import unlimited
from tests.robustness.routes import v1_routes

FAKE = {
    "order_id": "ord_01ZZZZZZZZZZZZZZZZZZZZZZZZ",
    "shipment_id": "shp_01ZZZZZZZZZZZZZZZZZZZZZZZZ",
    "sku": "NO-SUCH-SKU-1",
    "inbound_id": "ib_01ZZZZZZZZZZZZZZZZZZZZZZZZ",
    "return_id": "ret_01ZZZZZZZZZZZZZZZZZZZZZZZZ",
    "adjustment_id": "adj_01ZZZZZZZZZZZZZZZZZZZZZZZZ",
    "webhook_id": "whk_01ZZZZZZZZZZZZZZZZZZZZZZZZ",
    "delivery_id": "dlv_01ZZZZZZZZZZZZZZZZZZZZZZZZ",
}
_PARAM = re.compile(r"{(\w+)}")
SKIP = {"/v1/openapi.json", "/v1/docs", "/v1/redoc"}


def _fill(path: str, values: dict[str, str]) -> str | None:
    names = _PARAM.findall(path)
    if any(n not in values for n in names):
        return None
    return _PARAM.sub(lambda m: values[m.group(1)], path)


def populate(api, tenant, environment: str) -> dict[str, str]:
    """One object of every kind the API exposes, created through the API where it can be."""
    unlimited(api)
    ensure_catalogue(tenant, environment)
    ids: dict[str, str] = {}
    product = api.post("/v1/products", {"sku": f"ISO-{environment}", "description": "Isolation probe"})
    assert product.status_code == 201, product.content
    ids["sku"] = f"ISO-{environment}"
    order = api.post("/v1/orders", order_body(f"iso-{environment}", prefix="ISO"))
    assert order.status_code == 201, order.content
    ids["order_id"] = order.json()["id"]
    if environment == "sandbox":
        shipped = api.post(f"/v1/sandbox/orders/{ids['order_id']}/ship", {})
        assert shipped.status_code in (200, 201), shipped.content
        ids["shipment_id"] = shipped.json()["id"]
        sku = shipped.json()["items"][0]["sku"]
        ret = api.post(
            "/v1/returns", {"rma": "RMA-ISO-1", "order_id": ids["order_id"], "items": [{"sku": sku, "quantity": 1}]}
        )
        if ret.status_code == 201:
            ids["return_id"] = ret.json()["id"]
    inbound = api.post(
        "/v1/inbound-shipments",
        {"reference": "IB-ISO-1", "warehouse_id": "wh_syd_1", "items": [{"sku": "LOAD-00", "expected_quantity": 5}]},
    )
    if inbound.status_code == 201:
        ids["inbound_id"] = inbound.json()["id"]
    hook = api.post("/v1/webhooks", {"url": "https://127.0.0.1:9/iso", "events": ["order.created"]})
    assert hook.status_code == 201, hook.content
    ids["webhook_id"] = hook.json()["id"]
    api.post(f"/v1/webhooks/{ids['webhook_id']}/test", {})
    deliveries = api.get(f"/v1/webhooks/{ids['webhook_id']}/deliveries")
    if deliveries.status_code == 200 and deliveries.json()["data"]:
        ids["delivery_id"] = deliveries.json()["data"][0]["id"]
    # Adjustments are recorded by staff, not through the API.
    from fulfillment.models import AdjustmentReason, Product, Warehouse
    from fulfillment.services.adjustments import adjustment_record

    adjustment_record(
        tenant=tenant,
        environment=environment,
        product=Product.objects.get(tenant=tenant, environment=environment, sku="LOAD-01"),
        warehouse=Warehouse.objects.get(public_id="wh_syd_1"),
        reason=AdjustmentReason.values[0],
        quantity_delta=1,
        actor="isolation walk",
    )
    adjustments = api.get("/v1/inventory-adjustments")
    if adjustments.status_code == 200 and adjustments.json()["data"]:
        ids["adjustment_id"] = adjustments.json()["data"][0]["id"]
    return ids


def snapshot(api, ids: dict[str, str]) -> dict[str, object]:
    """What the victim itself reads for each of its objects (cursors carry a signing time, so they are left out)."""
    out = {}
    for method, path in v1_routes():
        if method == "GET" and _PARAM.search(path):
            filled = _fill(path, ids)
            if filled:
                response = api.get(filled)
                body = response.json() if response.content else None
                if isinstance(body, dict):
                    body.pop("pagination", None)
                out[filled] = (response.status_code, body)
    return out


def walk(attacker, victim_ids: dict[str, str]) -> tuple[list[str], list[str]]:
    """Returns (violations, uncovered routes)."""
    violations, uncovered = [], []
    victim_public_ids = [v for k, v in victim_ids.items() if k != "sku"]
    call = {"GET": attacker.get, "DELETE": attacker.delete}
    for method, path in v1_routes():
        if path in SKIP:
            continue
        if not _PARAM.search(path):
            if method == "GET":
                response = attacker.get(path)
                leaked = [v for v in victim_public_ids if v in response.content.decode(errors="replace")]
                if leaked:
                    violations.append(f"{method} {path} lists {leaked}")
            continue
        real, fake = _fill(path, victim_ids), _fill(path, FAKE)
        if real is None:
            uncovered.append(f"{method} {path}")
            continue
        send = call.get(method) or (lambda p, m=method: getattr(attacker, m.lower())(p, {}))
        got, baseline = send(real), send(fake)
        code = (got.json().get("error") or {}).get("code") if got.content else None
        base_code = (baseline.json().get("error") or {}).get("code") if baseline.content else None
        if (
            got.status_code < 400
            or got.status_code >= 500
            or (got.status_code, code)
            != (
                baseline.status_code,
                base_code,
            )
        ):
            violations.append(
                f"{method} {path}: victim's object → {got.status_code} {code}, made-up id → "
                f"{baseline.status_code} {base_code}"
            )
    return violations, uncovered


@pytest.fixture
def scopes(tenant, other_tenant, reference_data, api_for):
    def key(t, env):
        issued = make_connection(t, env)
        api = api_for(issued.key)
        api.issued = issued
        return unlimited(api)

    return {
        "a_sandbox": (key(tenant, "sandbox"), tenant, "sandbox"),
        "a_live": (key(tenant, "live"), tenant, "live"),
        "b_sandbox": (key(other_tenant, "sandbox"), other_tenant, "sandbox"),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("attacker", "victim"),
    [("a_sandbox", "b_sandbox"), ("a_sandbox", "a_live"), ("a_live", "a_sandbox")],
    ids=["tenant_a_vs_tenant_b", "sandbox_key_vs_live_rows", "live_key_vs_sandbox_rows"],
)
def test_no_route_lets_one_scope_read_or_change_anothers_objects(scopes, attacker, victim):
    victim_api, victim_tenant, victim_env = scopes[victim]
    ids = populate(victim_api, victim_tenant, victim_env)
    before = snapshot(victim_api, ids)
    violations, _ = walk(scopes[attacker][0], ids)
    after = snapshot(victim_api, ids)
    changed = [path for path in before if before[path] != after[path]]
    assert violations == []
    assert changed == []


@pytest.mark.django_db
def test_the_walk_can_fill_every_path_parameter_of_every_route(scopes):
    api, tenant, env = scopes["b_sandbox"]
    ids = populate(api, tenant, env)
    _, uncovered = walk(scopes["a_sandbox"][0], ids)
    assert uncovered == []
