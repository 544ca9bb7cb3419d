"""Shared fixtures: tenants, connections with keys, an API client, reference data."""

from __future__ import annotations

import os

os.environ.setdefault("DEBUG", "1")

import pytest
from django.db import connection as db_connection
from rest_framework.test import APIClient

from tests.factories import make_connection, make_tenant


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    if not settings.IS_POSTGRES:
        skip = pytest.mark.skip(reason="needs PostgreSQL (row locks and real concurrency); set DATABASE_URL")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def _isolated_rate_limits(settings):
    """Each test starts with fresh local counters; Redis keys are per connection id, so they never collide."""
    from tenants import ratelimit

    ratelimit.reset_counter_for_tests()
    yield
    ratelimit.reset_counter_for_tests()


@pytest.fixture
def reference_data(db):
    from fulfillment.demo import seed_reference_data

    seed_reference_data()


@pytest.fixture
def tenant(db):
    return make_tenant("acme")


@pytest.fixture
def other_tenant(db):
    return make_tenant("globex")


class Api:
    """A test client that speaks JSON with a bearer key, like an ERP would."""

    def __init__(self, key: str | None):
        self.client = APIClient()
        self.key = key

    def _headers(self, headers):
        out = {}
        if self.key:
            out["HTTP_AUTHORIZATION"] = f"Bearer {self.key}"
        for name, value in (headers or {}).items():
            out["HTTP_" + name.upper().replace("-", "_")] = value
        return out

    def get(self, path, params=None, headers=None):
        return self.client.get(path, params or {}, **self._headers(headers))

    def post(self, path, body=None, headers=None, raw=None, content_type="application/json"):
        if raw is not None:
            return self.client.generic("POST", path, raw, content_type=content_type, **self._headers(headers))
        return self.client.post(path, body if body is not None else {}, format="json", **self._headers(headers))

    def patch(self, path, body=None, headers=None):
        return self.client.patch(path, body or {}, format="json", **self._headers(headers))

    def put(self, path, body=None, headers=None):
        return self.client.put(path, body or {}, format="json", **self._headers(headers))

    def delete(self, path, headers=None):
        return self.client.delete(path, **self._headers(headers))


@pytest.fixture
def api_for():
    """api_for(key) → an Api client using that key."""
    return Api


@pytest.fixture
def sandbox(tenant, reference_data):
    """A sandbox connection of `tenant` and an Api client with its key."""
    issued = make_connection(tenant, "sandbox")
    api = Api(issued.key)
    api.issued = issued
    return api


@pytest.fixture
def live(tenant, reference_data):
    issued = make_connection(tenant, "live")
    api = Api(issued.key)
    api.issued = issued
    return api


@pytest.fixture
def other_sandbox(other_tenant, reference_data):
    issued = make_connection(other_tenant, "sandbox")
    api = Api(issued.key)
    api.issued = issued
    return api


@pytest.fixture
def anonymous():
    return Api(None)


@pytest.fixture
def is_postgres():
    return db_connection.vendor == "postgresql"
