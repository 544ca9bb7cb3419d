"""Failed sign-in throttling: counters in the cache (Redis in production), one atomic increment each.

Two counters per failure: (username, client IP) — stops guessing one account
from one place — and the IP alone with a higher limit — stops spraying many
usernames. Once a counter reaches its limit the sign-in form refuses (HTTP 429)
until the window ends, whatever the password; a successful sign-in clears the
username+IP counter.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache

FAILURES_PER_USER_IP = 5
FAILURES_PER_IP = 30
WINDOW_SECONDS = 15 * 60


def _key(*parts: str) -> str:
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]
    return f"portal:login-fail:{digest}"


def client_ip(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy rewrites it.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _keys(username: str, ip: str) -> list[tuple[str, int]]:
    return [
        (_key("user-ip", username.strip().lower(), ip), FAILURES_PER_USER_IP),
        (_key("ip", ip), FAILURES_PER_IP),
    ]


def is_locked(username: str, ip: str) -> bool:
    """Has either counter reached its limit inside the current window?"""
    return any((cache.get(key) or 0) >= limit for key, limit in _keys(username, ip))


def record_failure(username: str, ip: str) -> None:
    for key, _limit in _keys(username, ip):
        # add() starts the window only if absent; incr() is atomic in Redis and locmem.
        cache.add(key, 0, timeout=WINDOW_SECONDS)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=WINDOW_SECONDS)


def clear(username: str, ip: str) -> None:
    cache.delete(_keys(username, ip)[0][0])
