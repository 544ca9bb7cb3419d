"""/v1/products: the tenant's catalogue."""

from __future__ import annotations

import pytest

from fulfillment.models import Product, StockMovement
from tests.fulfillment.orders_support import (
    feed_without_watermark,  # noqa: F401 - a fixture
    snapshot,
)

pytestmark = pytest.mark.django_db

PRODUCT = {
    "sku": "WIDGET-BLUE-M",
    "description": "Blue Widget — Medium",
    "barcode": "9300000000011",
    "weight": {"value": 1.2, "unit": "kg"},
    "dimensions": {"length": 20, "width": 15.5, "height": 5, "unit": "cm"},
    "customs_value": {"amount": "19.99", "currency": "AUD"},
}


def test_create_returns_201_with_product_shape(sandbox):
    response = sandbox.post("/v1/products", PRODUCT)
    assert response.status_code == 201
    body = response.json()
    assert body["sku"] == "WIDGET-BLUE-M"
    assert body["description"] == "Blue Widget — Medium"
    assert body["barcode"] == "9300000000011"
    assert body["weight"] == {"value": 1.2, "unit": "kg"}
    assert body["dimensions"] == {"length": 20.0, "width": 15.5, "height": 5.0, "unit": "cm"}
    assert body["customs_value"] == {"amount": "19.99", "currency": "AUD"}
    assert body["deleted_at"] is None
    assert body["created_at"].endswith("Z")
    product = Product.objects.get()
    assert (product.tenant, product.environment) == (sandbox.issued.connection.tenant, "sandbox")


def test_create_same_sku_same_fields_returns_existing_200(sandbox):
    first = sandbox.post("/v1/products", PRODUCT)
    second = sandbox.post("/v1/products", PRODUCT)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json()
    assert Product.objects.count() == 1


def test_create_same_sku_different_fields_is_409_duplicate_sku(sandbox):
    sandbox.post("/v1/products", PRODUCT)
    before = snapshot()
    response = sandbox.post("/v1/products", {**PRODUCT, "description": "Other"})
    assert response.status_code == 409
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == ("duplicate_sku", "sku")
    assert snapshot() == before


def test_same_sku_in_two_tenants_and_environments(sandbox, live, other_sandbox):
    for api in (sandbox, live, other_sandbox):
        assert api.post("/v1/products", PRODUCT).status_code == 201
    assert Product.objects.filter(sku="WIDGET-BLUE-M").count() == 3


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"sku": "BAD<SKU"}, "invalid_characters", "sku"),
        ({"sku": " PAD"}, "surrounding_space", "sku"),
        ({"sku": None}, "missing_field", "sku"),
        ({"description": "two\nlines"}, "invalid_characters", "description"),
        ({"weight": {"value": -1, "unit": "kg"}}, "out_of_range", "weight.value"),
        ({"weight": {"value": 1, "unit": "stone"}}, "invalid_choice", "weight.unit"),
        ({"dimensions": {"length": 1, "width": 1, "unit": "cm"}}, "missing_field", "dimensions.height"),
        ({"customs_value": {"amount": 19.99, "currency": "AUD"}}, "invalid_field", "customs_value.amount"),
        ({"customs_value": {"amount": "19.99", "currency": "ZZZ"}}, "invalid_currency", "customs_value.currency"),
    ],
)
def test_create_bad_input_is_422_and_writes_nothing(sandbox, change, code, field):
    before = snapshot()
    response = sandbox.post("/v1/products", {**PRODUCT, **change})
    assert response.status_code == 422
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (code, field)
    assert snapshot() == before


def test_get_patch_delete(sandbox):
    sandbox.post("/v1/products", PRODUCT)
    assert sandbox.get("/v1/products/WIDGET-BLUE-M").json()["barcode"] == "9300000000011"
    patched = sandbox.patch("/v1/products/WIDGET-BLUE-M", {"description": "Blue Widget — M", "barcode": None})
    assert patched.status_code == 200
    assert patched.json()["description"] == "Blue Widget — M"
    assert patched.json()["barcode"] is None
    assert patched.json()["weight"] == {"value": 1.2, "unit": "kg"}
    deleted = sandbox.delete("/v1/products/WIDGET-BLUE-M")
    assert deleted.status_code == 200
    assert deleted.json()["deleted_at"].endswith("Z")
    assert sandbox.get("/v1/products/WIDGET-BLUE-M").json()["deleted_at"] == deleted.json()["deleted_at"]
    assert sandbox.patch("/v1/products/WIDGET-BLUE-M", {"description": "x"}).status_code == 404
    # Creating it again brings it back.
    again = sandbox.post("/v1/products", PRODUCT)
    assert again.status_code == 201
    assert again.json()["deleted_at"] is None
    assert Product.objects.count() == 1


def test_patch_bad_input_is_422_and_changes_nothing(sandbox):
    sandbox.post("/v1/products", PRODUCT)
    before = snapshot()
    response = sandbox.patch("/v1/products/WIDGET-BLUE-M", {"weight": {"value": "heavy", "unit": "kg"}})
    assert response.status_code == 422
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == ("invalid_field", "weight.value")
    assert snapshot() == before


# Each request commits on its own, as in production: on PostgreSQL a change position is a transaction id.
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("feed_without_watermark")
def test_deletion_appears_in_updated_since_feed(sandbox):
    sandbox.post("/v1/products", PRODUCT)
    sandbox.post("/v1/products", {**PRODUCT, "sku": "WIDGET-RED-S"})
    page = sandbox.get("/v1/products").json()
    assert [p["sku"] for p in page["data"]] == ["WIDGET-BLUE-M", "WIDGET-RED-S"]
    sandbox.delete("/v1/products/WIDGET-BLUE-M")
    resumed = sandbox.get("/v1/products", {"cursor": page["pagination"]["resume_cursor"]}).json()
    assert [(p["sku"], p["deleted_at"] is not None) for p in resumed["data"]] == [("WIDGET-BLUE-M", True)]
    since = sandbox.get("/v1/products", {"updated_since": "2000-01-01T00:00:00Z"}).json()
    assert len(since["data"]) == 2


def test_anonymous_401_other_tenant_and_environment_404(anonymous, sandbox, live, other_sandbox):
    sandbox.post("/v1/products", PRODUCT)
    assert anonymous.get("/v1/products").status_code == 401
    assert anonymous.post("/v1/products", PRODUCT).status_code == 401
    assert anonymous.get("/v1/products/WIDGET-BLUE-M").status_code == 401
    assert anonymous.patch("/v1/products/WIDGET-BLUE-M", {"description": "x"}).status_code == 401
    assert anonymous.delete("/v1/products/WIDGET-BLUE-M").status_code == 401
    for api in (live, other_sandbox):
        assert api.get("/v1/products/WIDGET-BLUE-M").status_code == 404
        assert api.patch("/v1/products/WIDGET-BLUE-M", {"description": "x"}).status_code == 404
        assert api.delete("/v1/products/WIDGET-BLUE-M").status_code == 404
        assert api.get("/v1/products").json()["data"] == []
    product = Product.objects.get()
    assert (product.description, product.deleted_at) == ("Blue Widget — Medium", None)


def test_seed_demo_catalogue_is_idempotent(reference_data):
    from fulfillment.demo import seed_tenant_catalogue
    from tests.factories import make_tenant
    from tests.fulfillment.orders_support import cell_numbers

    demo = make_tenant("demo")
    seed_tenant_catalogue(demo)
    seed_tenant_catalogue(demo)
    for environment in ("live", "sandbox"):
        skus = set(Product.objects.filter(tenant=demo, environment=environment).values_list("sku", "description"))
        assert skus == {("WIDGET-BLUE-M", "Blue Widget — Medium"), ("WIDGET-RED-S", "Red Widget — Small")}
        for sku in ("WIDGET-BLUE-M", "WIDGET-RED-S"):
            assert cell_numbers(demo, environment, sku, "wh_syd_1") == (100, 0, 0)
            assert cell_numbers(demo, environment, sku, "wh_mel_1") == (50, 0, 0)
    assert StockMovement.objects.filter(reason="initial").count() == 8
