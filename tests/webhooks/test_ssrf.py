"""SSRF: private, loopback, link-local and reserved targets are refused at subscription and at delivery."""

from __future__ import annotations

import socket

import pytest
from django.db import transaction

from webhooks import services
from webhooks.models import Delivery, DeliveryAttempt, WebhookEndpoint
from webhooks.ssrf import ip_is_public

pytestmark = pytest.mark.django_db

REAL_GETADDRINFO = socket.getaddrinfo


@pytest.fixture
def dns(monkeypatch, settings):
    """A programmable resolver for *.example.test names; SSRF protection on (the production default)."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    table: dict[str, str] = {}

    def fake(host, port, *args, **kwargs):
        if host in table:
            family = socket.AF_INET6 if ":" in table[host] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (table[host], port))]
        if host.endswith(".example.test"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return REAL_GETADDRINFO(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return table


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hooks",
        "http://10.0.0.1/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hooks",
        "http://[::ffff:127.0.0.1]/hooks",
        "http://[fe80::1]/hooks",
        "http://0.0.0.0/hooks",
        "http://192.168.1.10:8080/hooks",
        "http://172.16.0.5/hooks",
        "http://100.64.0.1/hooks",
        "http://224.0.0.1/hooks",
        "http://240.0.0.1/hooks",
        "http://localhost/hooks",
    ],
)
def test_subscription_to_private_address_is_refused(sandbox, dns, url):
    response = sandbox.post("/v1/webhooks", {"url": url, "events": ["ping"]})
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("unsafe_url", "url")
    assert WebhookEndpoint.objects.count() == 0


def test_hostname_resolving_to_private_address_is_refused(sandbox, dns):
    dns["internal.example.test"] = "10.1.2.3"
    response = sandbox.post("/v1/webhooks", {"url": "https://internal.example.test/h", "events": ["ping"]})
    assert response.status_code == 422
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == ("unsafe_url", "url")
    assert WebhookEndpoint.objects.count() == 0


def test_unresolvable_hostname_is_refused(sandbox, dns):
    response = sandbox.post("/v1/webhooks", {"url": "https://nowhere.example.test/h", "events": ["ping"]})
    assert response.status_code == 422
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == ("unresolvable_url", "url")


def test_public_hostname_is_accepted(sandbox, dns):
    dns["erp.example.test"] = "93.184.216.34"
    response = sandbox.post("/v1/webhooks", {"url": "https://erp.example.test/h", "events": ["ping"]})
    assert response.status_code == 201


def test_dns_change_to_private_address_is_refused_at_delivery(tenant, dns, receiver):
    """Public at subscription, then the name points at our own network: nothing is sent."""
    dns["erp.example.test"] = "93.184.216.34"
    created = services.endpoint_create(
        tenant=tenant, environment="sandbox", url=f"http://erp.example.test:{receiver.port}/h", events=["ping"]
    )
    with transaction.atomic():
        services.event_emit(tenant=tenant, environment="sandbox", event_type="ping", data={})
    dns["erp.example.test"] = "127.0.0.1"  # where the loopback receiver listens

    services.deliveries_dispatch()

    assert receiver.requests == []
    delivery = Delivery.objects.get(endpoint=created.endpoint)
    assert delivery.attempts == 1
    assert delivery.last_error.startswith("unsafe_url")
    assert DeliveryAttempt.objects.get().status_code is None


def test_same_delivery_goes_out_when_private_targets_are_allowed(tenant, dns, receiver, settings):
    """The control for the test above: the same setup reaches the receiver when the check is off."""
    dns["erp.example.test"] = "127.0.0.1"
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    services.endpoint_create(
        tenant=tenant, environment="sandbox", url=f"http://erp.example.test:{receiver.port}/h", events=["ping"]
    )
    with transaction.atomic():
        services.event_emit(tenant=tenant, environment="sandbox", event_type="ping", data={})
    services.deliveries_dispatch()
    assert len(receiver.requests) == 1


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("169.254.169.254", False),
        ("::1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:93.184.216.34", True),
        ("fc00::1", False),
        ("ff02::1", False),
        ("::", False),
        ("not-an-ip", False),
    ],
)
def test_ip_classification(address, public):
    assert ip_is_public(address) is public


def test_dns_rebinding_after_the_check_cannot_reach_a_private_address(tenant, dns, receiver, monkeypatch):
    """The delivery connects to the address it checked; a second lookup answering 127.0.0.1 is never made.

    127.0.0.2 stands in for a public address here (nothing listens there); the
    loopback receiver on 127.0.0.1 stands for the internal service an attacker wants.
    """
    from webhooks import ssrf

    monkeypatch.setattr(ssrf, "ip_is_public", lambda address: address == "127.0.0.2")
    answers = ["127.0.0.2", "127.0.0.2"]  # the subscription's lookup, the delivery's checked lookup

    def rebinding(host, port, *args, **kwargs):
        if host != "rebind.example.test":
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        address = answers.pop(0) if answers else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    services.endpoint_create(
        tenant=tenant, environment="sandbox", url=f"http://rebind.example.test:{receiver.port}/h", events=["ping"]
    )
    with transaction.atomic():
        services.event_emit(tenant=tenant, environment="sandbox", event_type="ping", data={})

    services.deliveries_dispatch()

    assert receiver.requests == []
    assert Delivery.objects.get().last_error.startswith("connection error")
