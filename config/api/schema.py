"""OpenAPI generation: the envelopes, the bearer scheme and the error responses, described once."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers


class ApiAutoSchema(AutoSchema):
    def get_tags(self) -> list[str]:
        path = self.path.removeprefix("/v1/").split("/")
        return [path[0] if path[0] != "sandbox" else "sandbox"]


class BearerAuthExtension(OpenApiAuthenticationExtension):
    target_class = "tenants.auth.ApiCredentialAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key (wms_live_… / wms_test_…) or an access token from POST /v1/auth/token.",
        }


class PaginationSerializer(serializers.Serializer):
    next_cursor = serializers.CharField(
        allow_null=True, help_text="Pass as ?cursor= for the next page; null on the last page."
    )
    has_more = serializers.BooleanField()
    resume_cursor = serializers.CharField(
        allow_null=True,
        help_text="Store and pass as ?cursor= on your next poll to receive exactly what changed since this page.",
    )


PAGE_PARAMETERS = [
    OpenApiParameter("updated_since", str, description="ISO-8601 date-time with timezone; only rows changed since."),
    OpenApiParameter("cursor", str, description="Opaque cursor from a previous page (next_cursor or resume_cursor)."),
    OpenApiParameter("limit", int, description="Page size, 1–500 (default 100)."),
]
"""The query parameters every list accepts (config/api/pagination.py); add a resource's filters after them."""


def paginated(serializer_class, name: str):
    """The schema of `{"data": [...], "pagination": {...}}` for one resource."""
    return inline_serializer(
        name=name,
        fields={"data": serializer_class(many=True), "pagination": PaginationSerializer()},
    )


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "field", "request_id", "type"],
            "properties": {
                "code": {"type": "string", "description": "Stable machine-readable code, e.g. invalid_warehouse."},
                "message": {"type": "string"},
                "field": {
                    "type": "string",
                    "nullable": True,
                    "description": "Path of the field at fault, e.g. items[1].sku.",
                },
                "request_id": {"type": "string", "nullable": True},
                "type": {
                    "type": "string",
                    "enum": [
                        "invalid_request",
                        "authentication",
                        "permission",
                        "not_found",
                        "conflict",
                        "rate_limit",
                        "api_error",
                    ],
                },
            },
            "additionalProperties": True,
        }
    },
}

_ERROR_STATUSES = {
    "400": "Malformed request (bad JSON, bad cursor).",
    "401": "Missing, malformed, unknown, expired or revoked credentials.",
    "403": "Suspended, read-only or not permitted by the tenant's policy.",
    "404": "Unknown resource (or another tenant's).",
    "405": "Method not allowed.",
    "409": "Conflict with the resource's current state.",
    "415": "Body is not JSON.",
    "422": "Validation failed; `field` names the offending field.",
    "429": "Rate limited; see Retry-After.",
    "500": "Server error; quote request_id.",
}


def add_common_error_responses(result, generator, request, public):
    """Every operation documents the error envelope for the statuses it can return."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status, description in _ERROR_STATUSES.items():
                if status in ("415",) and method in ("get", "delete"):
                    continue
                if status == "401" and not operation.get("security") and path.endswith(("openapi.json", "docs")):
                    continue
                responses.setdefault(
                    status, {"description": description, "content": {"application/json": {"schema": ref}}}
                )
    return result
