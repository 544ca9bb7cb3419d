"""The /v1 conventions built once: error envelope, request ids, input hygiene, timestamps, deprecation."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.tenants.probe_urls")]


def _error(response):
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message", "field", "request_id", "type"} <= set(body["error"])
    assert body["error"]["request_id"] == response["X-Request-ID"]
    return body["error"]


def test_unknown_route_is_404_envelope(sandbox):
    response = sandbox.get("/v1/does-not-exist")
    assert response.status_code == 404
    error = _error(response)
    assert error["code"] == "route_not_found"
    assert error["type"] == "not_found"


def test_unknown_route_without_credentials_is_still_json_404(anonymous):
    response = anonymous.get("/v1/nothing/here")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert _error(response)["code"] == "route_not_found"


def test_wrong_method_is_405_envelope(sandbox):
    response = sandbox.delete("/v1/warehouses")
    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"


def test_non_json_body_is_415(sandbox):
    response = sandbox.post("/v1/_probe", raw="sku=A", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert _error(response)["code"] == "unsupported_media_type"


def test_malformed_json_is_400(sandbox):
    response = sandbox.post("/v1/_probe", raw='{"sku": ', content_type="application/json")
    assert response.status_code == 400
    assert _error(response)["code"] == "malformed_json"


def test_validation_error_is_422_with_field(sandbox):
    response = sandbox.post("/v1/_probe", {})
    assert response.status_code == 422
    error = _error(response)
    assert error == {**error, "code": "missing_field", "field": "sku", "type": "invalid_request"}


def test_nested_field_path_uses_brackets_and_dots(sandbox):
    response = sandbox.post("/v1/_probe", {"sku": "A", "lines": [{"k": "ok"}, {"k": "bad<"}]})
    assert response.status_code == 422
    error = _error(response)
    assert error["field"] == "lines[1].k"
    assert error["code"] == "invalid_characters"


@pytest.mark.parametrize("bad", ["A<B", "A>B", "50%", "a:b", "a\\b", "what?", "a+b", "tab\there", "nl\nx", "\x00"])
def test_key_fields_refuse_forbidden_characters(sandbox, bad):
    response = sandbox.post("/v1/_probe", {"sku": bad})
    assert response.status_code == 422
    error = _error(response)
    assert (error["code"], error["field"]) == ("invalid_characters", "sku")


def test_key_field_refuses_surrounding_space(sandbox):
    response = sandbox.post("/v1/_probe", {"sku": " A"})
    assert response.status_code == 422
    assert _error(response)["code"] == "surrounding_space"


@pytest.mark.parametrize("bad", ["line\nbreak", "tab\there", "form\x0cfeed", "carriage\rreturn"])
def test_single_line_text_refuses_control_characters(sandbox, bad):
    response = sandbox.post("/v1/_probe", {"sku": "A", "note": bad})
    assert response.status_code == 422
    error = _error(response)
    assert (error["code"], error["field"]) == ("invalid_characters", "note")


def test_unknown_fields_are_ignored(sandbox):
    response = sandbox.post("/v1/_probe", {"sku": "A", "future_field": {"x": 1}})
    assert response.status_code == 200


def test_timestamps_with_offset_are_converted_to_utc_z(sandbox):
    response = sandbox.post("/v1/_probe", {"sku": "A", "at": "2026-07-02T19:15:00+10:00"})
    assert response.status_code == 200
    assert response.json()["at"] == "2026-07-02T09:15:00Z"


def test_timestamps_without_offset_are_refused(sandbox):
    response = sandbox.post("/v1/_probe", {"sku": "A", "at": "2026-07-02T19:15:00"})
    assert response.status_code == 422
    assert _error(response)["field"] == "at"


def test_unhandled_exception_is_500_envelope_without_traceback(sandbox, caplog):
    sandbox.client.raise_request_exception = False
    response = sandbox.get("/v1/_crash")
    assert response.status_code == 500
    error = _error(response)
    assert error["code"] == "internal_error"
    assert error["type"] == "api_error"
    assert "secret internal detail" not in response.content.decode()
    assert "Traceback" not in response.content.decode()


def test_client_request_id_is_echoed(sandbox):
    response = sandbox.get("/v1/me", headers={"X-Request-ID": "erp-run-42.7"})
    assert response["X-Request-ID"] == "erp-run-42.7"


def test_malformed_request_id_is_replaced(sandbox):
    response = sandbox.get("/v1/me", headers={"X-Request-ID": "bad id with spaces"})
    assert response["X-Request-ID"].startswith("req_")
    assert len(response["X-Request-ID"]) == 30


def test_deprecated_endpoint_sends_deprecation_and_sunset(sandbox):
    response = sandbox.get("/v1/_deprecated")
    assert response.status_code == 200
    assert response["Deprecation"] == "@1782000000"
    assert response["Sunset"] == "Wed, 01 Jul 2026 00:00:00 GMT"
    assert "Deprecation" not in sandbox.get("/v1/me")


def test_rate_limit_headers_on_every_response(sandbox):
    response = sandbox.get("/v1/warehouses")
    assert response["X-RateLimit-Limit"] == "900"
    assert response["X-RateLimit-Remaining"] == "899"
    assert int(response["X-RateLimit-Reset"]) > 0
    assert response["RateLimit-Policy"] == '"high";q=900;w=60'
    assert response["RateLimit"].startswith('"high";r=899;t=')
