"""The signature scheme: `X-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "{t}.{raw body}")>`.

The HMAC key is the whole secret string (including `whsec_`) as UTF-8. One
`v1=` is sent per currently valid secret, so a receiver keeps verifying while
it switches to a rolled secret.
"""

from __future__ import annotations

import hashlib
import hmac


def signature_for(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of `{timestamp}.{body}` keyed with the secret."""
    message = str(int(timestamp)).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets: list[str], timestamp: int, body: bytes) -> str:
    parts = [f"t={int(timestamp)}"]
    parts.extend(f"v1={signature_for(secret, timestamp, body)}" for secret in secrets)
    return ",".join(parts)


def signature_verify(header: str, body: bytes, secret: str, *, now: int, tolerance: int = 300) -> bool:
    """Receiver-side check (also used by the test endpoint docs): constant-time, with replay tolerance."""
    timestamp = None
    candidates = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or abs(now - timestamp) > tolerance:
        return False
    expected = signature_for(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
