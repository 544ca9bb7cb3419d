"""The one error mechanism for /v1.

Services raise `ApiError` subclasses carrying a stable code and the field at
fault; DRF's own exceptions and Django-level failures (unknown route, crash)
are translated here too. Every error body has the same envelope:

    {"error": {"code", "message", "field", "request_id", "type", ...extra}}
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from rest_framework import exceptions as drf
from rest_framework.settings import api_settings

logger = logging.getLogger("api.errors")


class ErrorType:
    INVALID_REQUEST = "invalid_request"
    AUTHENTICATION = "authentication"
    PERMISSION = "permission"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    RATE_LIMIT = "rate_limit"
    API_ERROR = "api_error"


class ApiError(Exception):
    """A failure the client can act on. Subclasses fix status and type; callers give code and field."""

    status_code = 400
    error_type = ErrorType.INVALID_REQUEST
    default_code = "invalid_request"
    default_message = "The request is invalid."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        field: str | None = None,
        headers: dict | None = None,
        **extra,
    ):
        self.message = message or self.default_message
        self.code = code or self.default_code
        self.field = field
        self.headers = headers or {}
        self.extra = extra
        super().__init__(self.message)


class BadRequest(ApiError):
    status_code = 400


class ValidationFailed(ApiError):
    status_code = 422
    default_code = "invalid_field"
    default_message = "A field is invalid."


class AuthenticationFailed(ApiError):
    status_code = 401
    error_type = ErrorType.AUTHENTICATION
    default_code = "invalid_credentials"
    default_message = "The credentials are not valid."

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="api"'})
        super().__init__(*args, **kwargs)


class PermissionDenied(ApiError):
    status_code = 403
    error_type = ErrorType.PERMISSION
    default_code = "permission_denied"
    default_message = "This credential may not do that."


class NotFound(ApiError):
    status_code = 404
    error_type = ErrorType.NOT_FOUND
    default_code = "not_found"
    default_message = "No such resource."


class Conflict(ApiError):
    status_code = 409
    error_type = ErrorType.CONFLICT
    default_code = "conflict"
    default_message = "The request conflicts with the current state of the resource."


class RateLimited(ApiError):
    status_code = 429
    error_type = ErrorType.RATE_LIMIT
    default_code = "rate_limited"
    default_message = "Too many requests."

    def __init__(self, message=None, *, retry_after: int, **kwargs):
        headers = kwargs.pop("headers", {}) or {}
        headers["Retry-After"] = str(max(1, int(retry_after)))
        super().__init__(message, headers=headers, **kwargs)


class ServerError(ApiError):
    status_code = 500
    error_type = ErrorType.API_ERROR
    default_code = "internal_error"
    default_message = "Something went wrong on our side. Quote the request_id when you contact support."


def request_id_of(request) -> str | None:
    return getattr(request, "request_id", None) or getattr(getattr(request, "_request", None), "request_id", None)


def error_body(error: ApiError, request) -> dict:
    body = {
        "code": error.code,
        "message": error.message,
        "field": error.field,
        "request_id": request_id_of(request),
        "type": error.error_type,
    }
    body.update(error.extra)
    return {"error": body}


def error_response(error: ApiError, request) -> HttpResponse:
    """The Django-level renderer, used by middleware that answers before a DRF view runs."""
    from config.api.renderers import dumps

    response = HttpResponse(
        dumps(error_body(error, request)), status=error.status_code, content_type="application/json"
    )
    for name, value in error.headers.items():
        response[name] = value
    return response


# --- Translating DRF validation errors --------------------------------------

_DRF_CODE_MAP = {
    "required": "missing_field",
    "null": "missing_field",
    "blank": "missing_field",
    "empty": "missing_field",
    "max_length": "too_long",
    "min_length": "too_short",
    "max_value": "out_of_range",
    "min_value": "out_of_range",
    "invalid_choice": "invalid_choice",
    "not_a_list": "invalid_type",
    "not_a_dict": "invalid_type",
    "invalid": "invalid_field",
    "max_digits": "invalid_decimal",
    "max_decimal_places": "invalid_decimal",
    "max_whole_digits": "invalid_decimal",
    "date": "invalid_datetime",
    "make_aware": "invalid_datetime",
    "overflow": "invalid_datetime",
    "max_string_length": "out_of_range",
    "does_not_exist": "not_found",
    "unique": "duplicate",
    "naive": "invalid_datetime",
    "negative": "out_of_range",
    "precision": "invalid_decimal",
}


def _child_path(path: str, key) -> str:
    # ListField reports child errors keyed by integer index; render them as items[1].
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def first_field_error(detail, path: str = "") -> tuple[str | None, str, str]:
    """Walk DRF's nested error detail to the first leaf: (field path, code, message)."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key == api_settings.NON_FIELD_ERRORS_KEY:
                return first_field_error(value, path)
            return first_field_error(value, _child_path(path, key))
    if isinstance(detail, list):
        # A list of errors for one field is [ErrorDetail, ...]; a list of child
        # objects is [{}, {...}], where empty entries are children without errors.
        for index, value in enumerate(detail):
            if isinstance(value, (dict, list)):
                if value:
                    return first_field_error(value, f"{path}[{index}]")
                continue
            return first_field_error(value, path)
    code = getattr(detail, "code", None) or "invalid"
    return path or None, _DRF_CODE_MAP.get(code, code), str(detail)


def all_field_errors(detail, path: str = "") -> list[dict]:
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            child = path if key == api_settings.NON_FIELD_ERRORS_KEY else _child_path(path, key)
            out.extend(all_field_errors(value, child))
        return out
    if isinstance(detail, list):
        out = []
        for index, value in enumerate(detail):
            if isinstance(value, (dict, list)):
                out.extend(all_field_errors(value, f"{path}[{index}]"))
            else:
                out.extend(all_field_errors(value, path))
        return out
    code = getattr(detail, "code", None) or "invalid"
    return [{"field": path or None, "code": _DRF_CODE_MAP.get(code, code), "message": str(detail)}]


def translate(exc) -> ApiError | None:
    """Map any exception raised while handling an API request to an ApiError."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, drf.ValidationError):
        field, code, message = first_field_error(exc.detail)
        details = all_field_errors(exc.detail)
        extra = {"details": details} if len(details) > 1 else {}
        return ValidationFailed(message, code=code, field=field, **extra)
    if isinstance(exc, drf.ParseError):
        return BadRequest("The request body is not valid JSON.", code="malformed_json")
    if isinstance(exc, drf.UnsupportedMediaType):
        error = ApiError("Send JSON with Content-Type: application/json.", code="unsupported_media_type")
        error.status_code = 415
        return error
    if isinstance(exc, drf.NotAcceptable):
        error = ApiError("This API only produces application/json.", code="not_acceptable")
        error.status_code = 406
        return error
    if isinstance(exc, drf.MethodNotAllowed):
        error = ApiError(str(exc.detail), code="method_not_allowed")
        error.status_code = 405
        return error
    if isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        return AuthenticationFailed("Authentication credentials were not provided.", code="missing_credentials")
    if isinstance(exc, (drf.PermissionDenied, DjangoPermissionDenied)):
        return PermissionDenied()
    if isinstance(exc, (drf.NotFound, Http404)):
        return NotFound()
    if isinstance(exc, drf.Throttled):
        return RateLimited(retry_after=int(exc.wait or 1))
    return None


def api_exception_handler(exc, context):
    """DRF EXCEPTION_HANDLER: every error raised inside a view becomes the envelope."""
    from rest_framework.response import Response
    from rest_framework.views import set_rollback

    request = context.get("request")
    error = translate(exc)
    if error is None:
        logger.exception("unhandled API error request_id=%s", request_id_of(request), exc_info=exc)
        error = ServerError()
    set_rollback()
    response = Response(error_body(error, request), status=error.status_code, headers=error.headers)
    if request is not None:
        request._request.api_error_code = error.code
    return response
