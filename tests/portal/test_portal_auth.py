"""Sign in/out, throttled failures, password reset, tenant picker, live/sandbox switch."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from tenants.models import Membership
from tenants.portal import throttle
from tests.factories import make_tenant
from tests.portal.conftest import PASSWORD, make_member, signed_in

pytestmark = pytest.mark.django_db

PORTAL_PAGES = [
    "/",
    "/connections/",
    "/connections/new/",
    "/usage/",
    "/usage/requests/",
    "/webhooks/",
    "/billing/",
    "/operations/orders/",
    "/operations/shipments/",
    "/operations/inventory/",
    "/operations/inbound/",
    "/operations/returns/",
    "/account/members/",
    "/account/audit-log/",
]


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize("path", PORTAL_PAGES)
def test_every_portal_page_sends_anonymous_visitors_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


def test_sign_in_with_the_right_password_lands_on_the_dashboard(owner):
    client = Client()
    response = client.post("/login/", {"username": "olivia", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert b"<title>Dashboard \xc2\xb7 Fulfillment Portal</title>" in page.content


def test_wrong_password_is_refused_with_the_form_again(owner):
    response = Client().post("/login/", {"username": "olivia", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_failed_sign_ins_lock_the_username_for_that_address_even_with_the_right_password(owner):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(throttle.FAILURES_PER_USER_IP):
        assert client.post("/login/", {"username": "olivia", "password": "wrong"}).status_code == 200
    locked = client.post("/login/", {"username": "olivia", "password": PASSWORD})
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content
    assert "_auth_user_id" not in client.session
    # The same username from another address is not locked.
    other = Client(REMOTE_ADDR="198.51.100.9")
    assert other.post("/login/", {"username": "olivia", "password": PASSWORD}).status_code == 302


def test_username_case_does_not_bypass_the_lockout(owner):
    client = Client(REMOTE_ADDR="203.0.113.8")
    for _ in range(throttle.FAILURES_PER_USER_IP):
        client.post("/login/", {"username": "olivia", "password": "wrong"})
    assert client.post("/login/", {"username": "OLIVIA", "password": PASSWORD}).status_code == 429


def test_a_successful_sign_in_clears_earlier_failures(owner):
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(throttle.FAILURES_PER_USER_IP - 1):
        client.post("/login/", {"username": "olivia", "password": "wrong"})
    assert client.post("/login/", {"username": "olivia", "password": PASSWORD}).status_code == 302
    client.post("/logout/")
    for _ in range(throttle.FAILURES_PER_USER_IP - 1):
        assert client.post("/login/", {"username": "olivia", "password": "wrong"}).status_code == 200
    assert client.post("/login/", {"username": "olivia", "password": PASSWORD}).status_code == 302


def test_sign_out_is_a_post_and_ends_the_session(owner_client):
    assert owner_client.get("/logout/").status_code == 405
    response = owner_client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert owner_client.get("/").status_code == 302


def test_password_reset_emails_a_single_use_link_that_sets_a_new_password(owner):
    client = Client()
    response = client.post("/password-reset/", {"email": "olivia@example.com"})
    assert response.status_code == 302
    assert response["Location"] == "/password-reset/sent/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["olivia@example.com"]
    link = re.search(r"http://testserver(/password-reset/[^\s]+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    assert b"Choose a new password" in form.content
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-brand-new-passphrase", "new_password2": "a-brand-new-passphrase"},
    )
    assert done.status_code == 302
    assert Client().post("/login/", {"username": "olivia", "password": "a-brand-new-passphrase"}).status_code == 302


def test_password_reset_for_an_unknown_email_says_the_same_and_sends_nothing(db):
    response = Client().post("/password-reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_a_user_without_membership_is_told_so(django_user_model):
    user = django_user_model.objects.create_user("loner", password=PASSWORD)
    client = signed_in(user)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/no-account/"
    assert b"not a member of any client account" in client.get("/no-account/").content


def test_a_member_of_two_tenants_switches_between_them_and_sees_only_the_active_one(tenant, other_tenant):
    user = make_member(tenant, "multi", Membership.Role.OWNER)
    Membership.objects.create(tenant=other_tenant, user=user, role=Membership.Role.DEVELOPER)
    client = signed_in(user)
    assert b"Acme" in client.get("/").content
    response = client.post("/switch/tenant/", {"tenant": "globex"})
    assert response.status_code == 302
    page = client.get("/")
    assert b"Globex \xc2\xb7 Live" in page.content
    # Developer in globex: the audit log (owners only) is now refused.
    assert client.get("/account/audit-log/").status_code == 403


def test_switching_to_a_tenant_the_user_does_not_belong_to_is_refused(owner, other_tenant):
    client = signed_in(owner)
    client.post("/switch/tenant/", {"tenant": "globex"})
    assert client.session.get("portal_tenant_id") != other_tenant.id
    assert b"Acme \xc2\xb7 Live" in client.get("/").content


def test_a_stale_session_tenant_falls_back_to_a_tenant_the_user_belongs_to(owner, other_tenant):
    client = signed_in(owner)
    session = client.session
    session["portal_tenant_id"] = other_tenant.id
    session.save()
    assert b"Acme \xc2\xb7 Live" in client.get("/").content


def test_environment_switch_shows_the_sandbox_banner_on_every_page(owner_client):
    assert b"sandbox-banner" not in owner_client.get("/").content
    response = owner_client.post("/switch/environment/", {"environment": "sandbox", "next": "/connections/con_x/"})
    assert response.status_code == 302
    assert response["Location"] == "/connections/"
    for path in PORTAL_PAGES:
        page = owner_client.get(path)
        assert page.status_code == 200, path
        assert b"<strong>SANDBOX</strong>" in page.content, path


def test_environment_switch_refuses_unknown_values_and_offsite_targets(owner_client):
    owner_client.post("/switch/environment/", {"environment": "staging"})
    assert "portal_environment" not in owner_client.session
    response = owner_client.post("/switch/environment/", {"environment": "sandbox", "next": "//evil.example/x"})
    assert response["Location"] == "/"


def test_switches_require_post(owner_client):
    assert owner_client.get("/switch/environment/").status_code == 405
    assert owner_client.get("/switch/tenant/").status_code == 405


def test_another_tenants_member_sees_only_their_own_tenant_name(owner, other_owner):
    make_tenant("acme")
    page = signed_in(other_owner).get("/")
    assert b"Globex" in page.content
    assert b"Acme" not in page.content
