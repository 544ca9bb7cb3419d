"""Authentication: keys, tokens, and each failure's own status and code."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tenants import services
from tenants.models import ApiConnection, ApiKey, PolicyEvent
from tests.factories import make_connection

pytestmark = pytest.mark.django_db


def test_valid_key_reaches_endpoint(sandbox):
    response = sandbox.get("/v1/me")
    assert response.status_code == 200
    assert response.json()["environment"] == "sandbox"
    assert response.json()["connection"]["id"] == sandbox.issued.connection.public_id


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "missing_credentials"),
        ("Basic abc", "malformed_credentials"),
        ("Bearer not-a-key", "malformed_credentials"),
        ("Bearer wms_test_000000000000_" + "A" * 32, "invalid_credentials"),
    ],
)
def test_bad_credentials_get_401_with_code(anonymous, reference_data, header, code):
    headers = {"Authorization": header} if header else None
    response = anonymous.get("/v1/warehouses", headers=headers)
    assert response.status_code == 401
    body = response.json()["error"]
    assert body["code"] == code
    assert body["type"] == "authentication"
    assert body["request_id"] == response["X-Request-ID"]


def test_wrong_secret_is_same_answer_as_unknown_id(sandbox, api_for):
    key = sandbox.issued.key
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")
    response = api_for(tampered).get("/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


def test_only_hash_of_secret_is_stored(sandbox):
    stored = ApiKey.objects.get(connection=sandbox.issued.connection)
    secret = sandbox.issued.key[len("wms_test_") + 13 :]
    assert len(secret) == 32
    assert secret not in stored.secret_hash
    assert len(stored.secret_hash) == 64
    assert sandbox.issued.key.startswith("wms_test_")


def test_roll_keeps_old_key_until_expiry_then_401(sandbox, api_for):
    old = sandbox.issued
    new = services.api_key_roll(connection=old.connection, old_key_expires_in=timedelta(hours=1))
    assert api_for(old.key).get("/v1/me").status_code == 200
    assert api_for(new.key).get("/v1/me").status_code == 200
    ApiKey.objects.filter(pk=old.api_key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api_for(old.key).get("/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "credentials_expired"
    assert api_for(new.key).get("/v1/me").status_code == 200


def test_revoked_connection_gets_401_revoked(sandbox):
    services.connection_revoke(connection=sandbox.issued.connection)
    response = sandbox.get("/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "credentials_revoked"


def test_key_unused_for_60_days_expires(sandbox, settings):
    ApiKey.objects.filter(pk=sandbox.issued.api_key.pk).update(
        created_at=timezone.now() - timedelta(days=61), last_used_at=timezone.now() - timedelta(days=60, seconds=5)
    )
    response = sandbox.get("/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "credentials_expired"


def test_suspended_connection_and_tenant_get_403(sandbox, tenant):
    services.connection_set_suspended(connection=sandbox.issued.connection, suspended=True, reason="test")
    response = sandbox.get("/v1/me")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "connection_suspended"
    services.connection_set_suspended(connection=sandbox.issued.connection, suspended=False)
    assert sandbox.get("/v1/me").status_code == 200
    services.tenant_set_suspended(tenant=tenant, suspended=True, reason="unpaid")
    response = sandbox.get("/v1/me")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "account_suspended"
    services.tenant_set_suspended(tenant=tenant, suspended=False)
    assert sandbox.get("/v1/me").status_code == 200


def test_token_exchange_and_token_use(sandbox, api_for):
    response = sandbox.post("/v1/auth/token")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    token_api = api_for(body["access_token"])
    me = token_api.get("/v1/me")
    assert me.status_code == 200
    assert me.json()["credential"]["kind"] == "token"
    # A token cannot mint further tokens.
    refused = token_api.post("/v1/auth/token")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "key_required"


def test_expired_token_gets_401(sandbox, api_for):
    from tenants.models import AccessToken

    token = sandbox.post("/v1/auth/token").json()["access_token"]
    AccessToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api_for(token).get("/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "credentials_expired"


def test_minting_within_30_minutes_is_recorded_not_refused(sandbox):
    assert sandbox.post("/v1/auth/token").status_code == 200
    assert PolicyEvent.objects.filter(kind=PolicyEvent.Kind.TOKEN_MINT_TOO_SOON).count() == 0
    assert sandbox.post("/v1/auth/token").status_code == 200
    events = PolicyEvent.objects.filter(kind=PolicyEvent.Kind.TOKEN_MINT_TOO_SOON)
    assert events.count() == 1
    assert events.get().connection == sandbox.issued.connection


def test_read_only_key_gets_403_on_writes(tenant, reference_data, api_for):
    issued = make_connection(tenant, "sandbox", scope=ApiConnection.Scope.READ_ONLY)
    api = api_for(issued.key)
    assert api.get("/v1/warehouses").status_code == 200
    response = api.post("/v1/products", {"sku": "READ-ONLY-TRY", "description": "should not exist"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    from fulfillment.models import Product

    assert not Product.objects.filter(sku="READ-ONLY-TRY").exists()


def test_last_used_written_at_most_once_a_minute(sandbox, django_assert_max_num_queries):
    sandbox.get("/v1/me")
    first = ApiKey.objects.get(pk=sandbox.issued.api_key.pk).last_used_at
    assert first is not None
    sandbox.get("/v1/me")
    assert ApiKey.objects.get(pk=sandbox.issued.api_key.pk).last_used_at == first
