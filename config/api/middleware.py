"""Django-level middleware for /v1: request ids, and the envelope for failures outside DRF views."""

from __future__ import annotations

import logging
import re
import time

from config.api.errors import ServerError, error_response
from config.ids import ulid

logger = logging.getLogger("api.requests")

API_PREFIX = "/v1/"
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIX)


class RequestIdMiddleware:
    """Gives every request an id: a well-formed X-Request-ID is echoed, otherwise `req_<ulid>`.

    The same id goes into error bodies, the log line and the request log.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        supplied = request.headers.get("X-Request-ID", "")
        request.request_id = supplied if _CLIENT_REQUEST_ID.match(supplied) else f"req_{ulid()}"
        started = time.perf_counter()
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        if is_api_path(request.path):
            scope = getattr(request, "api_scope", None)
            logger.info(
                "request_id=%s method=%s path=%s status=%s duration_ms=%.1f connection=%s",
                request.request_id,
                request.method,
                request.path,
                response.status_code,
                (time.perf_counter() - started) * 1000,
                scope.connection.public_id if scope else "-",
            )
        return response


class ApiErrorMiddleware:
    """Turns crashes outside DRF's handler into the envelope, without leaking a traceback."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_api_path(request.path):
            return None
        logger.exception("unhandled error request_id=%s", getattr(request, "request_id", None), exc_info=exception)
        return error_response(ServerError(), request)
