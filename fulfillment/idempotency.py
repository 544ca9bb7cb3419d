"""Idempotency-Key handling for create endpoints (Stripe's and the IETF draft's semantics), built once.

Usage from a view (POST /v1/orders, POST /v1/inbound-shipments, POST /v1/returns…)::

    from fulfillment.idempotency import idempotent

    result = idempotent(
        tenant=scope.tenant,
        environment=scope.environment,
        endpoint="orders.create",                        # one name per operation
        key=request.headers.get("Idempotency-Key"),      # None/absent: no idempotency, just run
        body=request.data,                               # hashed (canonical JSON) to spot a reused key
        produce=lambda: (201, order_data(order_create(...))),   # does the work, returns (status, body)
    )
    return Response(result.body, status=result.status, headers=result.headers)

What the caller gets:

* First use of a key: `produce()` runs inside a transaction that also records its
  answer, so the key is completed if and only if the work committed. If
  `produce()` raises, nothing is kept and the key may be used again.
* Same key, same body, already completed: `produce()` does NOT run; the stored
  answer comes back with `replayed=True`, HTTP 200 (a replayed 201 is reported
  as 200: nothing was created this time) and the header `Idempotent-Replayed: true`.
  Pass `replay=fn(status, body) -> (status, body)` to re-render the current state
  of the resource instead of the stored snapshot.
* Same key, different body: 422 `idempotency_key_reused`.
* Same key while the first request is still running: this call waits up to
  `IDEMPOTENCY_WAIT_SECONDS` for it to finish and then replays its answer; if it
  is still running, 409 `idempotency_key_in_progress` (retry later with the same key).
  A holder that died mid-way (lock older than `IDEMPOTENCY_STALE_SECONDS`) is taken over.
* Malformed key (empty, > 255 characters, not printable ASCII): 400 `invalid_idempotency_key`.

Keys are scoped to tenant + environment + endpoint and kept at least
`IDEMPOTENCY_TTL` (24 h); `idempotency_keys_purge()` deletes older ones.

Why a row inserted first, in its own transaction: the unique constraint is the
lock. A concurrent insert of the same key blocks until the first insert commits
and then fails, so exactly one request does the work, on any database, with no
advisory locks. Call `idempotent` outside any transaction (views are not atomic
here) so that first insert really commits before the work starts.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from config.api.errors import BadRequest, Conflict, ValidationFailed
from fulfillment.models import IdempotencyKey
from tenants.models import Tenant

HEADER = "Idempotency-Key"
IDEMPOTENCY_TTL = timedelta(hours=24)
IDEMPOTENCY_WAIT_SECONDS = 10.0
IDEMPOTENCY_STALE_SECONDS = 120.0
_POLL_SECONDS = 0.05
MAX_KEY_LENGTH = 255


@dataclass
class IdempotentResult:
    """The answer to send: status, body, whether it was replayed, and headers to add."""

    status: int
    body: dict
    replayed: bool = False
    headers: dict = field(default_factory=dict)


def request_hash(body) -> str:
    """SHA-256 of the body as canonical JSON (sorted keys), so key order and spacing do not matter."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_key_validate(key: str) -> str:
    """Refuse empty, over-long or non-printable-ASCII keys with 400 invalid_idempotency_key."""
    if not key or len(key) > MAX_KEY_LENGTH or not all(0x21 <= ord(ch) <= 0x7E for ch in key):
        raise BadRequest(
            f"{HEADER} must be 1–{MAX_KEY_LENGTH} printable ASCII characters without spaces (a UUID is ideal).",
            code="invalid_idempotency_key",
            field=HEADER,
        )
    return key


def idempotent(
    *,
    tenant: Tenant,
    environment: str,
    endpoint: str,
    key: str | None,
    body,
    produce: Callable[[], tuple[int, dict]],
    replay: Callable[[int, dict], tuple[int, dict]] | None = None,
    wait_seconds: float | None = None,
) -> IdempotentResult:
    """Run `produce()` at most once per (tenant, environment, endpoint, key); see the module docstring."""
    if key is None:
        status, data = produce()
        return IdempotentResult(status=status, body=data)
    idempotency_key_validate(key)
    digest = request_hash(body)
    wait = IDEMPOTENCY_WAIT_SECONDS if wait_seconds is None else wait_seconds
    deadline = time.monotonic() + wait
    scope = {"tenant": tenant, "environment": environment, "endpoint": endpoint, "key": key}

    while True:
        row = _claim(scope, digest)
        if row is not None:
            return _run(row, produce)
        existing = IdempotencyKey.objects.filter(**scope).first()
        if existing is None:
            if time.monotonic() >= deadline:
                raise Conflict(
                    f"A request with this {HEADER} keeps failing to start. Retry shortly with the same key.",
                    code="idempotency_key_in_progress",
                    field=HEADER,
                    headers={"Retry-After": "1"},
                )
            continue  # the holder failed and released the key: try to claim it again
        if existing.request_hash != digest:
            raise ValidationFailed(
                f"This {HEADER} was already used with a different request body. Use a new key for a new request.",
                code="idempotency_key_reused",
                field=HEADER,
            )
        if existing.state == IdempotencyKey.State.COMPLETED:
            status, data = existing.response_status, existing.response_body
            if replay is not None:
                status, data = replay(status, data)
            if 200 <= status < 300:
                status = 200
            return IdempotentResult(status=status, body=data, replayed=True, headers={"Idempotent-Replayed": "true"})
        if _take_over_if_stale(existing):
            return _run(existing, produce)
        if time.monotonic() >= deadline:
            raise Conflict(
                f"A request with this {HEADER} is still being processed. Retry shortly with the same key.",
                code="idempotency_key_in_progress",
                field=HEADER,
                headers={"Retry-After": "1"},
            )
        time.sleep(_POLL_SECONDS)


def _claim(scope: dict, digest: str) -> IdempotencyKey | None:
    """Insert the key row in its own transaction; None if the key already exists."""
    now = timezone.now()
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(
                **scope, request_hash=digest, locked_at=now, created_at=now, expires_at=now + IDEMPOTENCY_TTL
            )
    except IntegrityError:
        return None


def _take_over_if_stale(row: IdempotencyKey) -> bool:
    """A holder that crashed leaves an in-progress row behind; after a while another request may take it."""
    now = timezone.now()
    if row.locked_at > now - timedelta(seconds=IDEMPOTENCY_STALE_SECONDS):
        return False
    taken = IdempotencyKey.objects.filter(
        pk=row.pk, state=IdempotencyKey.State.IN_PROGRESS, locked_at=row.locked_at
    ).update(locked_at=now)
    if taken:
        row.locked_at = now
    return bool(taken)


def _run(row: IdempotencyKey, produce: Callable[[], tuple[int, dict]]) -> IdempotentResult:
    try:
        with transaction.atomic():
            status, data = produce()
            IdempotencyKey.objects.filter(pk=row.pk).update(
                state=IdempotencyKey.State.COMPLETED,
                response_status=status,
                response_body=data,
                completed_at=timezone.now(),
            )
    except BaseException:
        # Nothing was done, so nothing is remembered: the client may retry (even with a corrected body).
        IdempotencyKey.objects.filter(pk=row.pk, state=IdempotencyKey.State.IN_PROGRESS).delete()
        raise
    return IdempotentResult(status=status, body=data)


def idempotency_keys_purge(*, now=None) -> int:
    """Delete keys past their retention (≥ 24 h old). Returns how many were deleted."""
    now = now or timezone.now()
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lt=now).delete()
    return deleted
