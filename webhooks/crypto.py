"""Signing secrets at rest: encrypted with Fernet, because they must be recoverable to sign.

The key is settings.WEBHOOK_SECRET_ENCRYPTION_KEY, or by default one derived
from SECRET_KEY (so rotating SECRET_KEY without setting the key makes stored
secrets unreadable: set it explicitly in production).
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.fernet import Fernet
from django.conf import settings

SECRET_PREFIX = "whsec_"


def _fernet() -> Fernet:
    key = settings.WEBHOOK_SECRET_ENCRYPTION_KEY
    if not key:
        digest = hashlib.sha256(b"webhooks.secret-encryption:" + settings.SECRET_KEY.encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key)


def secret_generate() -> str:
    """A new signing secret, `whsec_` + 32 random bytes (base64url)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def secret_encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def secret_decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()
