"""Webhook subscriptions, the event outbox, and the delivery ledger.

An Event is written in the same transaction as the change it describes (the
transactional outbox), with one Delivery per subscribed endpoint. Delivery
state and retry times live here, not in Celery: a Celery message is only a
wake-up, and the periodic dispatcher claims whatever is due.
"""

from __future__ import annotations

import uuid

from django.db import models

from config.db import ChangeTrackedModel
from config.ids import new_public_id
from tenants.models import TenantScopedModel

EVENT_TYPES = (
    "shipment.created",
    "shipment.updated",
    "order.created",
    "order.updated",
    "order.cancelled",
    "inventory.updated",
    "inbound.received",
    "inventory.adjusted",
    "return.received",
    "ping",
)


class WebhookEndpoint(TenantScopedModel, ChangeTrackedModel):
    """A URL that receives the events it subscribes to, for one tenant and one environment.

    The signing secret must be recoverable to sign, so it is stored encrypted
    (webhooks/crypto.py), never hashed. After a roll the previous secret stays
    valid until `previous_secret_expires_at`, and deliveries carry a signature
    for each valid secret.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    public_id = models.CharField(max_length=40, unique=True, editable=False)
    url = models.CharField(max_length=2048)
    events = models.JSONField(default=list)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    secret_encrypted = models.TextField(editable=False)
    previous_secret_encrypted = models.TextField(blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Start of the current run of failed attempts; cleared by any success.
    failing_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "environment", "change_seq", "id"], name="whk_endpoint_feed"),
            models.Index(fields=["tenant", "environment", "enabled"], name="whk_endpoint_enabled"),
        ]

    def save(self, *args, **kwargs):
        if not self.public_id:
            self.public_id = new_public_id("whk")
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.url} [{self.environment}] ({self.public_id})"


class Event(TenantScopedModel, ChangeTrackedModel):
    """One thing that happened, as an outbox row. `payload` is the exact JSON text every delivery sends.

    The payload is built once at emit time, so retries, redeliveries and
    replays send byte-identical bodies with the same event_id.
    """

    public_id = models.CharField(max_length=40, unique=True, editable=False)
    event_type = models.CharField(max_length=40)
    payload = models.TextField()

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "environment", "change_seq", "id"], name="whk_event_feed"),
            models.Index(fields=["tenant", "environment", "created_at"], name="whk_event_created"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} ({self.public_id})"


class Delivery(ChangeTrackedModel):
    """One event to one endpoint: its state, attempt count and the time of the next attempt.

    While a dispatcher is sending, `next_attempt_at` holds the end of its lease
    and `claim_token` identifies the claim; if the worker dies, the delivery
    simply becomes due again when the lease ends (at-least-once).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    public_id = models.CharField(max_length=40, unique=True, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    retry_until = models.DateTimeField()
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["event", "endpoint"], name="whk_delivery_unique")]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=models.Q(status="pending"), name="whk_delivery_due"),
            models.Index(fields=["endpoint", "change_seq", "id"], name="whk_delivery_feed"),
        ]

    def save(self, *args, **kwargs):
        if not self.public_id:
            self.public_id = new_public_id("dlv")
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.public_id} {self.status}"


class DeliveryAttempt(models.Model):
    """One HTTP POST of a delivery: when, the status code or network error, latency, first 1 KB of the answer."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.TextField(blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["attempted_at", "id"]
        indexes = [models.Index(fields=["delivery", "attempted_at"], name="whk_attempt_delivery")]

    def __str__(self) -> str:
        return f"{self.status_code or self.error} @ {self.attempted_at:%Y-%m-%d %H:%M:%S}"
