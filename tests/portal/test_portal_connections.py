"""API keys in the portal: create (shown once), roll with a chosen expiry, revoke; roles, tenants, CSRF."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tenants.models import ApiConnection, ApiKey, AuditLogEntry
from tests.factories import make_connection
from tests.portal.conftest import signed_in

pytestmark = pytest.mark.django_db

KEY_RE = re.compile(rb'value="(wms_(?:live|test)_[0-9a-f]{12}_[A-Za-z0-9_-]{32})"')


def created_key(response) -> str:
    match = KEY_RE.search(response.content)
    assert match, response.content[:2000]
    return match.group(1).decode()


def test_creating_a_key_shows_it_once_and_it_works_against_the_api(sandbox_owner_client, tenant, api_for):
    response = sandbox_owner_client.post("/connections/new/", {"name": "NetSuite sandbox", "scope": "full"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"
    assert b"It is shown only once" in response.content
    key = created_key(response)
    assert key.startswith("wms_test_")
    connection = ApiConnection.objects.get(tenant=tenant)
    assert (connection.name, connection.environment, connection.status) == ("NetSuite sandbox", "sandbox", "active")
    me = api_for(key).get("/v1/me")
    assert me.status_code == 200
    assert me.json()["connection"]["id"] == connection.public_id
    # Never shown again.
    for path in ("/connections/", f"/connections/{connection.public_id}/"):
        page = sandbox_owner_client.get(path)
        assert key.encode() not in page.content
        assert key[: len("wms_test_") + 12].encode() in page.content
    entry = AuditLogEntry.objects.get(tenant=tenant, action="connection.created")
    assert (entry.target, entry.actor_label) == (connection.public_id, "olivia")


def test_a_key_is_created_in_the_active_environment(owner_client, tenant):
    key = created_key(owner_client.post("/connections/new/", {"name": "ERP live", "scope": "read_only"}))
    assert key.startswith("wms_live_")
    connection = ApiConnection.objects.get(tenant=tenant)
    assert (connection.environment, connection.scope) == ("live", "read_only")


def test_create_refuses_a_blank_name_and_writes_nothing(owner_client, tenant):
    response = owner_client.post("/connections/new/", {"name": "  ", "scope": "full"})
    assert response.status_code == 200
    assert b"This field is required." in response.content
    assert not ApiConnection.objects.filter(tenant=tenant).exists()


def test_a_developer_may_create_keys(tenant, developer):
    response = signed_in(developer).post("/connections/new/", {"name": "Dev", "scope": "full"})
    assert response.status_code == 200
    assert ApiConnection.objects.filter(tenant=tenant).count() == 1


def test_a_billing_member_cannot_create_keys(tenant, billing_member):
    client = signed_in(billing_member)
    assert client.get("/connections/new/").status_code == 403
    response = client.post("/connections/new/", {"name": "Sneaky", "scope": "full"})
    assert response.status_code == 403
    assert b"You don&#x27;t have access to this" in response.content
    assert not ApiConnection.objects.filter(tenant=tenant).exists()


def test_a_billing_member_cannot_roll_or_revoke(tenant, billing_member, reference_data):
    issued = make_connection(tenant, "live")
    client = signed_in(billing_member)
    pid = issued.connection.public_id
    assert client.post(f"/connections/{pid}/roll/", {"old_key_expires": "now"}).status_code == 403
    assert client.post(f"/connections/{pid}/revoke/", {"confirm_name": issued.connection.name}).status_code == 403
    issued.connection.refresh_from_db()
    assert issued.connection.status == "active"
    assert issued.connection.keys.count() == 1


def test_roll_keeps_the_old_key_working_until_the_chosen_expiry(owner_client, tenant, api_for, reference_data):
    issued = make_connection(tenant, "live", name="ERP")
    before = timezone.now()
    response = owner_client.post(f"/connections/{issued.connection.public_id}/roll/", {"old_key_expires": "1h"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"
    new_key = created_key(response)
    assert new_key != issued.key
    old = ApiKey.objects.get(pk=issued.api_key.pk)
    assert before + timedelta(hours=1) <= old.expires_at <= timezone.now() + timedelta(hours=1)
    assert api_for(issued.key).get("/v1/me").status_code == 200
    assert api_for(new_key).get("/v1/me").status_code == 200
    assert AuditLogEntry.objects.filter(tenant=tenant, action="key.rolled").count() == 1


def test_roll_with_immediate_expiry_stops_the_old_key_now(owner_client, tenant, api_for, reference_data):
    issued = make_connection(tenant, "live")
    new_key = created_key(
        owner_client.post(f"/connections/{issued.connection.public_id}/roll/", {"old_key_expires": "now"})
    )
    assert api_for(issued.key).get("/v1/me").status_code == 401
    assert api_for(new_key).get("/v1/me").status_code == 200


def test_roll_refuses_an_unknown_expiry_choice(owner_client, tenant, reference_data):
    issued = make_connection(tenant, "live")
    response = owner_client.post(f"/connections/{issued.connection.public_id}/roll/", {"old_key_expires": "30d"})
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert issued.connection.keys.count() == 1
    assert ApiKey.objects.get(pk=issued.api_key.pk).expires_at is None


def test_revoke_needs_the_typed_name_then_the_api_answers_401(owner_client, tenant, api_for, reference_data):
    issued = make_connection(tenant, "live", name="ERP prod")
    url = f"/connections/{issued.connection.public_id}/revoke/"
    page = owner_client.get(url)
    assert b"This cannot be undone" in page.content
    wrong = owner_client.post(url, {"confirm_name": "ERP"}, follow=True)
    assert b"Type the connection" in wrong.content
    issued.connection.refresh_from_db()
    assert issued.connection.status == "active"
    response = owner_client.post(url, {"confirm_name": "ERP prod"})
    assert response.status_code == 302
    issued.connection.refresh_from_db()
    assert issued.connection.status == "revoked"
    answer = api_for(issued.key).get("/v1/me")
    assert answer.status_code == 401
    assert AuditLogEntry.objects.filter(tenant=tenant, action="connection.revoked").count() == 1
    # A revoked connection offers no roll or revoke buttons.
    detail = owner_client.get(f"/connections/{issued.connection.public_id}/")
    assert b"Roll key" not in detail.content


@pytest.mark.parametrize("suffix", ["", "roll/", "revoke/"])
def test_another_tenants_connection_is_not_found(owner_client, other_tenant, reference_data, suffix):
    theirs = make_connection(other_tenant, "live")
    url = f"/connections/{theirs.connection.public_id}/{suffix}"
    assert owner_client.get(url).status_code == 404
    if suffix:
        assert (
            owner_client.post(url, {"old_key_expires": "now", "confirm_name": theirs.connection.name}).status_code
            == 404
        )
    theirs.connection.refresh_from_db()
    assert theirs.connection.status == "active"
    assert theirs.connection.keys.count() == 1


def test_a_connection_of_the_other_environment_is_not_found(owner_client, tenant, reference_data):
    sandbox = make_connection(tenant, "sandbox")
    assert owner_client.get(f"/connections/{sandbox.connection.public_id}/").status_code == 404
    listing = owner_client.get("/connections/")
    assert sandbox.connection.public_id.encode() not in listing.content


def test_csrf_is_enforced_on_create(owner, tenant):
    client = signed_in(owner, enforce_csrf=True)
    refused = client.post("/connections/new/", {"name": "No token", "scope": "full"})
    assert refused.status_code == 403
    assert b"This form expired" in refused.content
    assert not ApiConnection.objects.filter(tenant=tenant).exists()
    form = client.get("/connections/new/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.content).group(1).decode()
    accepted = client.post("/connections/new/", {"name": "With token", "scope": "full", "csrfmiddlewaretoken": token})
    assert accepted.status_code == 200
    assert ApiConnection.objects.filter(tenant=tenant).count() == 1


def test_csrf_is_enforced_on_revoke_and_environment_switch(owner, tenant, reference_data):
    issued = make_connection(tenant, "live", name="ERP")
    client = signed_in(owner, enforce_csrf=True)
    url = f"/connections/{issued.connection.public_id}/revoke/"
    assert client.post(url, {"confirm_name": "ERP"}).status_code == 403
    issued.connection.refresh_from_db()
    assert issued.connection.status == "active"
    assert client.post("/switch/environment/", {"environment": "sandbox"}).status_code == 403
    assert "portal_environment" not in client.session


def test_audit_log_lists_key_actions_for_owners_only(owner_client, tenant, developer, reference_data):
    issued = make_connection(tenant, "live")
    owner_client.post(f"/connections/{issued.connection.public_id}/roll/", {"old_key_expires": "24h"})
    page = owner_client.get("/account/audit-log/")
    assert page.status_code == 200
    assert b"key.rolled" in page.content
    assert b"connection.created" in page.content
    filtered = owner_client.get("/account/audit-log/?action=key.rolled")
    assert filtered.content.count(b"<code>connection.created</code>") == 0
    assert signed_in(developer).get("/account/audit-log/").status_code == 403


def test_connection_list_shows_name_environment_prefix_and_status(owner_client, tenant, reference_data):
    issued = make_connection(tenant, "live", name="NetSuite production")
    page = owner_client.get("/connections/")
    assert b"NetSuite production" in page.content
    assert issued.api_key.display_prefix.encode() in page.content
    assert b"never" in page.content
    assert b'status-active">Active' in page.content


def test_empty_connection_list_says_what_to_do_next(owner_client):
    page = owner_client.get("/connections/")
    assert b"No live API keys yet." in page.content
    assert b"Create your first live key" in page.content
