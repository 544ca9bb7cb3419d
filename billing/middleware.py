"""Usage metering for /v1: wraps the whole API stack (outside authentication), see billing/metering.py."""

from __future__ import annotations

import logging
import time

from django.conf import settings

from billing import metering
from config.api.middleware import is_api_path

logger = logging.getLogger("billing.metering")


class MeteringMiddleware:
    """Times each /v1 request and hands it to `metering.observe`; never fails the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.METERING_ENABLED or not is_api_path(request.path):
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = (time.perf_counter() - started) * 1000
        try:
            metering.observe(request, response, duration_ms)
        except Exception:
            # Metering must never turn a served request into an error.
            logger.warning("metering failed for request %s", getattr(request, "request_id", "?"), exc_info=True)
        return response
