"""Inbound shipments (ASNs): stock the ERP says is on its way, and what actually arrived."""

from __future__ import annotations

import uuid

from django.db import models

from config.db import ChangeTrackedModel
from config.ids import new_public_id
from fulfillment.models.catalog import Product
from fulfillment.models.reference import Warehouse
from tenants.models import ApiConnection, TenantScopedModel


class InboundStatus(models.TextChoices):
    """Blueprint §5a: expected → partially_received → received; cancelled only before anything arrived."""

    EXPECTED = "expected", "Expected"
    PARTIALLY_RECEIVED = "partially_received", "Partially received"
    RECEIVED = "received", "Received"
    CANCELLED = "cancelled", "Cancelled"


class InboundShipment(TenantScopedModel, ChangeTrackedModel):
    """An Advanced Shipment Notice (`ib_…`). Its outstanding expected units count as `incoming` stock.

    `request_fingerprint` is a hash of the create payload, so a retried create
    with the same reference can be told apart from a conflicting one.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    public_id = models.CharField(max_length=40, unique=True, editable=False)
    reference = models.CharField(max_length=100)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    expected_at = models.DateField(null=True, blank=True)
    supplier = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=InboundStatus.choices, default=InboundStatus.EXPECTED)
    received_at = models.DateTimeField(null=True, blank=True, help_text="When the latest receipt was recorded.")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    created_by_connection = models.ForeignKey(
        ApiConnection, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    version = models.PositiveIntegerField(
        default=1, help_text="Moves on every change, so a webhook receiver can discard a stale delivery."
    )

    class Meta:
        verbose_name = "inbound shipment (ASN)"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "environment", "reference"], name="inbound_unique_reference")
        ]
        indexes = [
            models.Index(fields=["tenant", "environment", "change_seq", "id"], name="inbound_feed_idx"),
            models.Index(fields=["tenant", "environment", "status", "change_seq", "id"], name="inbound_status_idx"),
        ]

    def save(self, *args, **kwargs):
        if not self.public_id:
            self.public_id = new_public_id("ib")
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.reference} ({self.public_id})"


class InboundItem(models.Model):
    """One expected SKU of an ASN and how many of it have been received so far (over all receipts)."""

    inbound = models.ForeignKey(InboundShipment, on_delete=models.CASCADE, related_name="items")
    line_number = models.PositiveIntegerField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(max_length=100)
    expected_quantity = models.PositiveIntegerField()
    received_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["line_number"]
        constraints = [
            models.UniqueConstraint(fields=["inbound", "line_number"], name="inbound_item_unique_number"),
            models.UniqueConstraint(fields=["inbound", "product"], name="inbound_item_unique_product"),
        ]

    @property
    def outstanding(self) -> int:
        """Units still expected (and so still counted as incoming) while the ASN is open."""
        return max(self.expected_quantity - self.received_quantity, 0)

    @property
    def discrepancy(self) -> int:
        """Signed: negative = short, positive = over-delivered."""
        return self.received_quantity - self.expected_quantity

    def __str__(self) -> str:
        return f"{self.sku} × {self.expected_quantity}"


class InboundReceipt(models.Model):
    """One receiving event against an ASN. A `final` receipt closes the ASN and writes off the shortfall."""

    inbound = models.ForeignKey(InboundShipment, on_delete=models.CASCADE, related_name="receipts")
    final = models.BooleanField(default=False)
    received_at = models.DateTimeField()
    actor = models.CharField(max_length=100, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"receipt {self.pk} of {self.inbound_id}{' (final)' if self.final else ''}"


class InboundReceiptLine(models.Model):
    """How many units of one ASN line arrived in one receipt."""

    receipt = models.ForeignKey(InboundReceipt, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(InboundItem, on_delete=models.CASCADE, related_name="receipt_lines")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.item.sku} × {self.quantity}"
