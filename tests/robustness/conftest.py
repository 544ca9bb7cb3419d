"""Fixtures for robustness tests: an in-process WSGI app that keeps the test's database connection, bounded sizes."""

from __future__ import annotations

import os

import pytest

RUN_SLOW = os.environ.get("RUN_SLOW", "").strip().lower() in {"1", "true", "yes", "on"}
UNLIMITED = 2_000_000_000


@pytest.fixture
def wsgi_app():
    """Django's real WSGI handler, minus the per-request connection recycling.

    Like django.test.Client, it must not close the connection between
    requests, or every request would drop the test's transaction.
    """
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def unlimited(api):
    """Lift an Api fixture's rate limits out of reach (the limiter still runs)."""
    conn = api.issued.connection
    conn.rate_limit_standard = conn.rate_limit_high = conn.rate_limit_low = UNLIMITED
    conn.save(update_fields=["rate_limit_standard", "rate_limit_high", "rate_limit_low"])
    return api
