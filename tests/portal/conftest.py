"""Portal fixtures: people with roles in `tenant` (acme) and `other_tenant` (globex), signed-in clients."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tenants.models import Membership

PASSWORD = "correct-horse-battery-staple"


def make_member(tenant, username: str, role: str):
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username=username, email=f"{username}@example.com", password=PASSWORD)
    Membership.objects.get_or_create(tenant=tenant, user=user, defaults={"role": role})
    return user


def signed_in(user, environment: str | None = None, enforce_csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf)
    client.force_login(user)
    if environment:
        session = client.session
        session["portal_environment"] = environment
        session.save()
    return client


@pytest.fixture
def owner(tenant):
    return make_member(tenant, "olivia", Membership.Role.OWNER)


@pytest.fixture
def developer(tenant):
    return make_member(tenant, "dev", Membership.Role.DEVELOPER)


@pytest.fixture
def billing_member(tenant):
    return make_member(tenant, "bill", Membership.Role.BILLING)


@pytest.fixture
def other_owner(other_tenant):
    return make_member(other_tenant, "gina", Membership.Role.OWNER)


@pytest.fixture
def owner_client(owner):
    return signed_in(owner)


@pytest.fixture
def sandbox_owner_client(owner):
    return signed_in(owner, "sandbox")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's deliberate slowness is not under test here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_metering():
    """Usage counters and the request log live in the metering store; start each test empty."""
    try:
        from billing import metering
    except ImportError:
        yield
        return
    metering.reset_for_tests()
    yield
    metering.reset_for_tests()
