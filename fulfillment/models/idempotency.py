"""Idempotency keys: one row per (tenant, environment, endpoint, Idempotency-Key), see fulfillment/idempotency.py."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from tenants.models import TenantScopedModel


class IdempotencyKey(TenantScopedModel):
    """A client's Idempotency-Key for one endpoint, and the answer it got.

    The row is inserted (and committed) before the work starts: the unique
    constraint is the lock that stops two requests with the same key from both
    doing the work. `response_status`/`response_body` are filled in the same
    transaction as the work, so a completed key always names work that exists.
    """

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"

    endpoint = models.CharField(max_length=64, help_text="Which operation the key belongs to, e.g. orders.create.")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of the canonical JSON request body.")
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    locked_at = models.DateTimeField(help_text="When the current holder started the work (stale locks are taken over).")
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True, help_text="Kept at least until then (24 h by default).")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "environment", "endpoint", "key"], name="idempotency_key_unique_per_scope"
            )
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.key}"
