"""The OpenAPI document is valid, public, offline-served and describes the envelopes and auth."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(anonymous):
    response = anonymous.get("/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_schema_is_valid_openapi(schema):
    validate(schema)


def test_schema_describes_bearer_auth_and_error_envelope(schema):
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    me = schema["paths"]["/v1/me"]["get"]
    assert me["responses"]["401"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_every_list_documents_the_pagination_envelope(schema):
    for path in ("/v1/warehouses", "/v1/shipping-methods"):
        ok = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        ref = ok["$ref"].rsplit("/", 1)[1]
        props = schema["components"]["schemas"][ref]["properties"]
        assert set(props) == {"data", "pagination"}


def test_docs_ui_is_served_without_a_cdn(anonymous):
    response = anonymous.get("/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html
