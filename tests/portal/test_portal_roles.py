"""The role matrix, enforced server-side on every page; members management for owners."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from tenants.models import AuditLogEntry, Membership
from tests.portal.conftest import make_member, signed_in

pytestmark = pytest.mark.django_db

# page → roles allowed (everyone else gets 403)
MATRIX = {
    "/": {"owner", "developer", "billing"},
    "/connections/": {"owner", "developer"},
    "/connections/new/": {"owner", "developer"},
    "/usage/": {"owner", "developer", "billing"},
    "/usage/requests/": {"owner", "developer"},
    "/webhooks/": {"owner", "developer"},
    "/webhooks/new/": {"owner", "developer"},
    "/billing/": {"owner", "billing"},
    "/operations/orders/": {"owner", "developer", "billing"},
    "/operations/shipments/": {"owner", "developer", "billing"},
    "/operations/inventory/": {"owner", "developer", "billing"},
    "/operations/inbound/": {"owner", "developer", "billing"},
    "/operations/returns/": {"owner", "developer", "billing"},
    "/account/members/": {"owner"},
    "/account/audit-log/": {"owner"},
}


@pytest.mark.parametrize("role", ["owner", "developer", "billing"])
def test_every_page_enforces_the_role_matrix(tenant, role):
    client = signed_in(make_member(tenant, f"user-{role}", role))
    for path, allowed in MATRIX.items():
        expected = 200 if role in allowed else 403
        assert client.get(path).status_code == expected, (role, path)


@pytest.mark.parametrize("role", ["owner", "developer", "billing"])
def test_navigation_shows_only_what_the_role_may_open(tenant, role):
    page = signed_in(make_member(tenant, f"user-{role}", role)).get("/").content.decode()
    nav = page[page.index('<nav class="sidenav"') : page.index("</nav>", page.index('<nav class="sidenav"'))]
    links = set(re.findall(r'href="([^"]+)"', nav))
    for path, allowed in MATRIX.items():
        if path in links:
            assert role in allowed, (role, path)
    assert ("/billing/" in links) == (role in MATRIX["/billing/"])
    assert ("/connections/" in links) == (role in MATRIX["/connections/"])


def test_owner_invites_a_member_who_gets_a_set_password_email(owner_client, tenant):
    response = owner_client.post("/account/members/", {"email": "New.Dev@Example.com", "role": "developer"})
    assert response.status_code == 302
    membership = Membership.objects.get(tenant=tenant, user__email="new.dev@example.com")
    assert membership.role == "developer"
    assert not membership.user.has_usable_password()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.dev@example.com"]
    assert "/password-reset/" in mail.outbox[0].body
    assert AuditLogEntry.objects.filter(tenant=tenant, action="member.invited", target="new.dev@example.com").exists()


def test_inviting_an_existing_member_again_is_refused(owner_client, tenant, developer):
    response = owner_client.post("/account/members/", {"email": "dev@example.com", "role": "billing"})
    assert response.status_code == 200
    assert b"already a member" in response.content
    assert Membership.objects.get(tenant=tenant, user=developer).role == "developer"


def test_developer_cannot_invite_members(tenant, developer):
    client = signed_in(developer)
    assert client.post("/account/members/", {"email": "x@example.com", "role": "owner"}).status_code == 403
    assert not Membership.objects.filter(user__email="x@example.com").exists()


def test_owner_changes_a_role_and_removes_a_member(owner_client, tenant, developer):
    membership = Membership.objects.get(tenant=tenant, user=developer)
    owner_client.post(f"/account/members/{membership.id}/", {"role": "billing"})
    membership.refresh_from_db()
    assert membership.role == "billing"
    owner_client.post(f"/account/members/{membership.id}/", {"action": "remove"})
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_the_last_owner_cannot_be_demoted_or_removed(owner_client, tenant, owner):
    membership = Membership.objects.get(tenant=tenant, user=owner)
    page = owner_client.post(f"/account/members/{membership.id}/", {"role": "developer"}, follow=True)
    assert b"The last owner cannot change role." in page.content
    owner_client.post(f"/account/members/{membership.id}/", {"action": "remove"})
    membership.refresh_from_db()
    assert membership.role == "owner"


def test_an_owner_cannot_touch_another_tenants_membership(owner_client, other_owner, other_tenant):
    theirs = Membership.objects.get(tenant=other_tenant, user=other_owner)
    assert owner_client.post(f"/account/members/{theirs.id}/", {"action": "remove"}).status_code == 404
    assert owner_client.post(f"/account/members/{theirs.id}/", {"role": "billing"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.role == "owner"


def test_role_change_in_the_database_applies_on_the_next_request(tenant, developer):
    client = signed_in(developer)
    assert client.get("/connections/").status_code == 200
    Membership.objects.filter(tenant=tenant, user=developer).update(role="billing")
    assert client.get("/connections/").status_code == 403
    Membership.objects.filter(tenant=tenant, user=developer).delete()
    assert client.get("/connections/")["Location"] == "/no-account/"
