"""Which webhook targets we may call: never our own network (SSRF).

A target is refused when its host is, or resolves to, a loopback, private,
link-local (cloud metadata at 169.254.169.254), multicast, reserved, shared or
unspecified address, IPv4 or IPv6 (IPv4-mapped IPv6 is judged by its IPv4).
Checked when a subscription is created or changed, and again on every
delivery at connect time: the delivery's socket connects to the very address
that was checked (no second DNS lookup), because DNS can change after
subscription.
settings.WEBHOOK_ALLOW_PRIVATE_TARGETS (local demo, tests) turns the address
check off; the URL syntax is always checked.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class UnsafeTarget(Exception):
    """The URL may not be called. `code` is the API error code."""

    def __init__(self, message: str, code: str = "unsafe_url"):
        super().__init__(message)
        self.code = code
        self.message = message


def ip_is_public(address: str) -> bool:
    """True only for globally routable unicast addresses."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or getattr(ip, "is_site_local", False)
    ):
        return False
    return ip.is_global


def url_parse(url: str):
    """Syntax: absolute http(s) URL with a host. Returns (scheme, host, port)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget("The URL is not valid.", code="invalid_url") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget("The URL must be an absolute http or https URL.", code="invalid_url")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTarget(f"The host {host} does not resolve.", code="unresolvable_url") from exc
    return sorted({info[4][0] for info in infos})


def checked_address(host: str, port: int) -> str:
    """Resolve once and return an address to connect to; UnsafeTarget if any address is not public.

    The delivery connects to exactly this address (webhooks/delivery.py), so a
    DNS answer that changes between the check and the connect cannot slip a
    private address in.
    """
    addresses = resolve(host, port)
    if not addresses:
        raise UnsafeTarget(f"The host {host} does not resolve.", code="unresolvable_url")
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        for address in addresses:
            if not ip_is_public(address):
                raise UnsafeTarget(
                    "The URL points at a loopback, private, link-local, multicast or reserved address.",
                    code="unsafe_url",
                )
    return addresses[0]


def target_check(url: str) -> None:
    """Raise UnsafeTarget unless the URL may be called now (syntax, then every resolved address)."""
    _scheme, host, port = url_parse(url)
    if settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        return
    checked_address(host, port)
