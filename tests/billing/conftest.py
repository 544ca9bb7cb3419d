"""Billing test fixtures: a clean metering store per test, and the store variant (local / Redis)."""

from __future__ import annotations

import os

import pytest

from billing import metering


@pytest.fixture(autouse=True)
def _clean_metering(settings):
    metering.reset_for_tests()
    metering._hint_cache.clear()
    yield
    metering.reset_for_tests()


@pytest.fixture(params=["local", "redis"])
def store_kind(request, settings):
    """Runs a test once with the in-process buffer and once with Redis (skipped without REDIS_URL)."""
    if request.param == "redis":
        if not os.environ.get("REDIS_URL"):
            pytest.skip("needs Redis; set REDIS_URL")
        settings.REDIS_URL = os.environ["REDIS_URL"]
    else:
        settings.REDIS_URL = ""
    metering.reset_for_tests()
    yield request.param
    metering.reset_for_tests()
