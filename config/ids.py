"""Identifier helpers: prefixed, time-ordered, opaque public ids."""

from __future__ import annotations

import os
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid() -> str:
    """A 26-character ULID: 48 bits of milliseconds then 80 random bits, Crockford base32."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_public_id(prefix: str) -> str:
    """`ord_01J8XQ…`: the prefix names the resource, the ULID is never reused."""
    return f"{prefix}_{ulid()}"
