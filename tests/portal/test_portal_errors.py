"""Error pages in the portal's style; /v1 keeps its JSON envelope."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.portal.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_unknown_portal_page_is_a_styled_404_with_navigation(owner_client):
    response = owner_client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert b'class="sidenav"' in response.content
    assert b"portal.css" in response.content


def test_unknown_page_for_anonymous_visitor_is_styled_too():
    response = Client().get("/no/such/page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_unknown_api_path_keeps_the_json_envelope(client):
    response = client.get("/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"]


def test_403_page_names_the_role(tenant, billing_member):
    response = signed_in(billing_member).get("/connections/new/")
    assert response.status_code == 403
    assert b"you are billing" in response.content


def test_csrf_failure_is_a_styled_page(owner):
    client = signed_in(owner, enforce_csrf=True)
    response = client.post("/switch/environment/", {"environment": "sandbox"})
    assert response.status_code == 403
    assert b"This form expired" in response.content


def test_server_error_page_is_static_and_styled():
    from django.test import RequestFactory

    from tenants.portal.views.errors import server_error

    request = RequestFactory().get("/")
    response = server_error(request)
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content
    api = server_error(RequestFactory().get("/v1/orders"))
    assert api.status_code == 500
    assert api["Content-Type"] == "application/json"
