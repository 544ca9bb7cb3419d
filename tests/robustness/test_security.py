"""Secrets at rest and in logs, production settings, CSRF on the portal and admin."""

from __future__ import annotations

import io
import json
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.factories import make_connection

ROOT = Path(__file__).resolve().parents[2]


def _issue_everything(api, tenant):
    """A key, a rolled key, an access token and a webhook secret (plus its roll): every secret the app issues."""
    from datetime import timedelta

    from tenants import services as tenant_services
    from webhooks import services as webhook_services

    rolled = tenant_services.api_key_roll(connection=api.issued.connection, old_key_expires_in=timedelta(hours=1))
    token = api.post("/v1/auth/token")
    assert token.status_code == 200, token.content
    hook = api.post("/v1/webhooks", {"url": "http://127.0.0.1:9/hooks", "events": ["shipment.created"]})
    assert hook.status_code == 201, hook.content
    rolled_hook = api.post(f"/v1/webhooks/{hook.json()['id']}/roll-secret")
    assert rolled_hook.status_code == 200, rolled_hook.content
    direct = webhook_services.endpoint_create(
        tenant=tenant, environment="sandbox", url="http://127.0.0.1:9/other", events=["order.cancelled"]
    )
    return {
        "key": api.key,
        "rolled_key": rolled.key,
        "token": token.json()["access_token"],
        "webhook_secret": hook.json()["secret"],
        "rolled_webhook_secret": rolled_hook.json()["secret"],
        "service_webhook_secret": direct.secret,
    }


def _secret_fragments(issued: dict[str, str]) -> dict[str, str]:
    """Each full secret and its random part alone (the part that makes it usable)."""
    from tenants import credentials

    out = {}
    for name, value in issued.items():
        out[name] = value
        parsed = credentials.parse(value)
        out[f"{name} (random part)"] = parsed.secret if parsed else value.removeprefix("whsec_")
    assert all(len(fragment) >= 32 for fragment in out.values())
    return out


@pytest.mark.django_db
def test_a_database_dump_holds_no_usable_api_key_token_or_webhook_secret(sandbox, tenant, anonymous):
    from tenants.models import ApiKey

    issued = _issue_everything(sandbox, tenant)
    out = io.StringIO()
    call_command("dumpdata", stdout=out)
    dump = out.getvalue()
    assert len(dump) > 1000
    leaked = [name for name, fragment in _secret_fragments(issued).items() if fragment in dump]
    assert leaked == []
    # What the dump does hold (the keyed hash) is not a credential either.
    stored = ApiKey.objects.filter(connection=sandbox.issued.connection).order_by("created_at").first()
    forged = f"{stored.display_prefix}_{stored.secret_hash[:32]}"
    response = anonymous.get("/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_pg_dump_of_the_database_holds_no_usable_secret(tenant, reference_data, api_for):
    from django.db import connection

    issued_key = make_connection(tenant, "sandbox")
    api = api_for(issued_key.key)
    api.issued = issued_key
    issued = _issue_everything(api, tenant)
    settings_dict = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": settings_dict.get("PASSWORD") or ""}
    dump = subprocess.run(
        [
            "pg_dump",
            "--data-only",
            "-h",
            settings_dict["HOST"] or "127.0.0.1",
            "-p",
            str(settings_dict["PORT"] or 5432),
            "-U",
            settings_dict["USER"] or "postgres",
            settings_dict["NAME"],
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=True,
    ).stdout
    assert "tenants_apikey" in dump
    leaked = [name for name, fragment in _secret_fragments(issued).items() if fragment in dump]
    assert leaked == []


@pytest.mark.django_db
def test_secrets_never_appear_in_logs(sandbox, tenant, anonymous, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    issued = _issue_everything(sandbox, tenant)
    wrong = issued["key"][:-4] + "AAAA"
    assert sandbox.get("/v1/warehouses").status_code == 200
    assert anonymous.get("/v1/me", headers={"Authorization": f"Bearer {wrong}"}).status_code == 401
    assert anonymous.get("/v1/me", headers={"Authorization": f"Bearer {issued['token']}x"}).status_code == 401
    assert sandbox.get("/v1/no-such-route").status_code == 404
    captured = capsys.readouterr()
    text = caplog.text + captured.out + captured.err
    assert "request_id=" in caplog.text  # the request log did run
    fragments = _secret_fragments({**issued, "wrong_key": wrong})
    leaked = [name for name, fragment in fragments.items() if fragment in text]
    assert leaked == []


@pytest.mark.django_db
def test_the_request_log_shown_in_the_portal_holds_no_secret(sandbox, tenant):
    from billing import metering
    from billing.selectors import request_log

    metering.reset_for_tests()
    issued = _issue_everything(sandbox, tenant)
    assert sandbox.get("/v1/warehouses").status_code == 200
    entries = request_log(connection=sandbox.issued.connection)
    assert entries, "the request must be in the log for this check to mean anything"
    text = json.dumps(entries, default=str)
    leaked = [name for name, fragment in _secret_fragments(issued).items() if fragment in text]
    assert leaked == []


def _production_env(**extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL", "REDIS_URL"}}
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "API_KEY_PEPPER": secrets.token_urlsafe(64),
            "WEBHOOK_SECRET_ENCRYPTION_KEY": "hN0fE3P1d3mYb5ZkS1aQ2yW6tq0uVbG2pXc9Lr4sJkE=",
            "ALLOWED_HOSTS": "portal.example.com",
            "CSRF_TRUSTED_ORIGINS": "https://portal.example.com",
        }
    )
    env.update(extra)
    return env


def _check(tmp_path, *args):
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING", *args],
        cwd=ROOT,
        env=_production_env(VAR_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_security_checks_are_clean_with_production_settings(tmp_path):
    result = _check(tmp_path, "--tag", "security")
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = _check(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_session_and_csrf_settings(tmp_path):
    probe = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k, None) for k in ["
        "'SESSION_COOKIE_SECURE','SESSION_COOKIE_HTTPONLY','CSRF_COOKIE_SECURE','SECURE_SSL_REDIRECT',"
        "'SECURE_HSTS_SECONDS','X_FRAME_OPTIONS','SECURE_CONTENT_TYPE_NOSNIFF','DEBUG','SESSION_COOKIE_SAMESITE',"
        "'CSRF_COOKIE_SAMESITE']}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=_production_env(VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings"),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert values["CSRF_COOKIE_SAMESITE"] in ("Lax", "Strict")


def test_production_settings_refuse_the_insecure_default_secret_key(tmp_path):
    env = _production_env(VAR_DIR=str(tmp_path))
    env.pop("SECRET_KEY")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_portal_login_without_a_csrf_token_is_refused():
    from django.contrib.auth import get_user_model
    from django.test import Client

    get_user_model().objects.create_user("csrf-user", "csrf@example.com", "a-long-password-123")
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "csrf-user", "password": "a-long-password-123"})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_admin_login_without_a_csrf_token_is_refused():
    from django.contrib.auth import get_user_model
    from django.test import Client

    get_user_model().objects.create_superuser("csrf-admin", "admin@example.com", "a-long-password-123")
    client = Client(enforce_csrf_checks=True)
    response = client.post("/admin/login/", {"username": "csrf-admin", "password": "a-long-password-123"})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_portal_state_changes_without_a_csrf_token_are_refused_for_a_logged_in_user(tenant):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from tenants.models import ApiConnection, Membership

    user = get_user_model().objects.create_user("owner", "owner@example.com", "a-long-password-123")
    Membership.objects.create(tenant=tenant, user=user, role=Membership.Role.OWNER)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    before = ApiConnection.objects.count()
    response = client.post("/connections/new/", {"name": "Forged", "environment": "sandbox", "scope": "full"})
    assert response.status_code == 403
    assert ApiConnection.objects.count() == before
