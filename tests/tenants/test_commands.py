"""Operator commands: stable output, idempotent seeding, clear errors."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from fulfillment.models import ShippingMethod, Warehouse
from tenants.models import ApiConnection, ApiKey, Membership, Tenant

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_seed_demo_is_idempotent():
    _run("seed_demo")
    counts = (
        Warehouse.objects.count(),
        ShippingMethod.objects.count(),
        Tenant.objects.count(),
        Membership.objects.count(),
    )
    _run("seed_demo")
    assert counts == (
        Warehouse.objects.count(),
        ShippingMethod.objects.count(),
        Tenant.objects.count(),
        Membership.objects.count(),
    )
    assert set(Warehouse.objects.values_list("public_id", "code")) == {("wh_syd_1", "SYD"), ("wh_mel_1", "MEL")}
    assert set(ShippingMethod.objects.values_list("public_id", "name", "carrier__code")) == {
        ("sm_auspost_express", "Express Post", "auspost"),
        ("sm_auspost_parcel", "Parcel Post", "auspost"),
    }
    assert Membership.objects.get(tenant__slug="demo").role == "owner"


def test_create_tenant_and_duplicate():
    assert "Created tenant acme" in _run("create_tenant", "acme", "--name", "Acme Pty")
    with pytest.raises(CommandError, match="duplicate_tenant"):
        _run("create_tenant", "acme", "--name", "Again")
    with pytest.raises(CommandError, match="slug"):
        _run("create_tenant", "Not A Slug", "--name", "X")
    assert Tenant.objects.filter(slug="acme").count() == 1


def test_create_api_key_json_prints_key_once_and_stores_hash(client):
    _run("create_tenant", "acme", "--name", "Acme")
    line = _run("create_api_key", "acme", "--env", "sandbox", "--name", "NetSuite", "--json").strip()
    payload = json.loads(line)
    assert set(payload) == {"connection_id", "key", "environment"}
    assert payload["environment"] == "sandbox"
    assert payload["key"].startswith("wms_test_")
    connection = ApiConnection.objects.get(public_id=payload["connection_id"])
    stored = ApiKey.objects.get(connection=connection)
    assert payload["key"] not in stored.secret_hash
    response = client.get("/v1/me", HTTP_AUTHORIZATION=f"Bearer {payload['key']}")
    assert response.status_code == 200


def test_create_api_key_live_prefix_and_unknown_tenant():
    _run("create_tenant", "acme", "--name", "Acme")
    payload = json.loads(_run("create_api_key", "acme", "--env", "live", "--name", "SAP", "--json"))
    assert payload["key"].startswith("wms_live_")
    with pytest.raises(CommandError, match="unknown_tenant"):
        _run("create_api_key", "nobody", "--env", "live", "--name", "X")
    with pytest.raises(CommandError, match="name"):
        _run("create_api_key", "acme", "--env", "live", "--name", "bad\nname")
    assert ApiConnection.objects.count() == 1
