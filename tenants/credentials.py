"""Key and token formats, and their keyed hashes.

A key reads `wms_live_<key_id>_<secret>` (`wms_test_` for sandbox): the key id
(12 hex characters) is public and used for lookup; the secret carries 192 bits
of randomness and is stored only as HMAC-SHA256(pepper, secret). A keyed fast
hash is the right tool for high-entropy secrets checked on every request; a
password hasher would cost tens of milliseconds per call for no gain.
Access tokens read `wms_at_<token_id>_<secret>` and are stored the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from django.conf import settings

KEY_PREFIXES = {"live": "wms_live_", "sandbox": "wms_test_"}
TOKEN_PREFIX = "wms_at_"
_KEY_RE = re.compile(r"^wms_(live|test)_([0-9a-f]{12})_([A-Za-z0-9_-]{32})$")
_TOKEN_RE = re.compile(r"^wms_at_([0-9a-f]{12})_([A-Za-z0-9_-]{32})$")


@dataclass(frozen=True)
class ParsedCredential:
    kind: str  # "key" | "token"
    lookup_id: str
    secret: str
    environment: str | None = None


def hash_secret(secret: str) -> str:
    return hmac.new(settings.API_KEY_PEPPER.encode(), secret.encode(), hashlib.sha256).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def generate_key(environment: str) -> tuple[str, str, str]:
    """Returns (full key, key_id, secret)."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    return f"{KEY_PREFIXES[environment]}{key_id}_{secret}", key_id, secret


def generate_token() -> tuple[str, str, str]:
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    return f"{TOKEN_PREFIX}{token_id}_{secret}", token_id, secret


def parse(raw: str) -> ParsedCredential | None:
    match = _KEY_RE.match(raw)
    if match:
        env = "live" if match.group(1) == "live" else "sandbox"
        return ParsedCredential("key", match.group(2), match.group(3), env)
    match = _TOKEN_RE.match(raw)
    if match:
        return ParsedCredential("token", match.group(1), match.group(2))
    return None


def display_prefix(key: str) -> str:
    """What the portal shows: the environment prefix and the public key id."""
    return key[: len("wms_live_") + 12]
