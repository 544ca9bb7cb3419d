"""The signature helpers and Retry-After parsing, as plain functions."""

from __future__ import annotations

import hashlib
import hmac
from email.utils import formatdate

from webhooks.delivery import _retry_after_seconds
from webhooks.signing import signature_header, signature_verify

BODY = b'{"event_id":"evt_1","data":{"name":"Zo\\u00eb"}}'


def test_header_has_one_v1_per_secret_over_timestamp_and_raw_body():
    header = signature_header(["whsec_a", "whsec_b"], 1782043452, BODY)
    expected_a = hmac.new(b"whsec_a", b"1782043452." + BODY, hashlib.sha256).hexdigest()
    expected_b = hmac.new(b"whsec_b", b"1782043452." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1782043452,v1={expected_a},v1={expected_b}"


def test_verify_accepts_within_tolerance_and_refuses_replays_and_tampering():
    header = signature_header(["whsec_a"], 1_000_000, BODY)
    assert signature_verify(header, BODY, "whsec_a", now=1_000_000 + 299)
    assert not signature_verify(header, BODY, "whsec_a", now=1_000_000 + 301)
    assert not signature_verify(header, BODY + b" ", "whsec_a", now=1_000_000)
    assert not signature_verify(header, BODY, "whsec_b", now=1_000_000)
    assert not signature_verify("v1=abc", BODY, "whsec_a", now=1_000_000)


def test_retry_after_accepts_seconds_and_http_dates():
    import time

    assert _retry_after_seconds("120") == 120
    assert 55 <= _retry_after_seconds(formatdate(time.time() + 60, usegmt=True)) <= 60
    assert _retry_after_seconds("soon") is None
    assert _retry_after_seconds(None) is None
