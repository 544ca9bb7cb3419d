"""Customer returns (RMAs): what came back, in what condition, and whether it went back on the shelf."""

from __future__ import annotations

import uuid

from django.db import models

from config.db import ChangeTrackedModel
from config.ids import new_public_id
from fulfillment.models.catalog import Product
from fulfillment.models.orders import Order
from fulfillment.models.reference import Warehouse
from tenants.models import ApiConnection, TenantScopedModel


class ReturnStatus(models.TextChoices):
    """Blueprint §5c: expected → received → processed."""

    EXPECTED = "expected", "Expected"
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"


class ReturnCondition(models.TextChoices):
    RESELLABLE = "resellable", "Resellable"
    DAMAGED = "damaged", "Damaged"
    DEFECTIVE = "defective", "Defective"
    WRONG_ITEM = "wrong_item", "Wrong item"


class Return(TenantScopedModel, ChangeTrackedModel):
    """A customer return (`ret_…`), pre-authorised by the ERP (with an RMA) or simply received by staff.

    `order` is null for a parcel that arrived without any order we can match.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    public_id = models.CharField(max_length=40, unique=True, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, null=True, blank=True, related_name="returns")
    order_number = models.CharField(max_length=100, blank=True)
    rma = models.CharField(max_length=100, null=True, blank=True)
    status = models.CharField(max_length=20, choices=ReturnStatus.choices, default=ReturnStatus.EXPECTED)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    created_by_connection = models.ForeignKey(
        ApiConnection, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    version = models.PositiveIntegerField(
        default=1, help_text="Moves on every change, so a webhook receiver can discard a stale delivery."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "environment", "rma"],
                condition=models.Q(rma__isnull=False),
                name="return_unique_rma",
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "environment", "change_seq", "id"], name="return_feed_idx"),
            models.Index(fields=["tenant", "environment", "status", "change_seq", "id"], name="return_status_idx"),
        ]

    def save(self, *args, **kwargs):
        if not self.public_id:
            self.public_id = new_public_id("ret")
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.rma or 'return'} ({self.public_id})"


class ReturnItem(models.Model):
    """One SKU of a return: how many were authorised, how many came back, their condition, and if restocked.

    Lines received that the RMA did not announce get `quantity_expected = 0`.
    """

    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="items")
    line_number = models.PositiveIntegerField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(max_length=100)
    quantity_expected = models.PositiveIntegerField(default=0)
    quantity_received = models.PositiveIntegerField(default=0)
    condition = models.CharField(max_length=20, choices=ReturnCondition.choices, blank=True)
    restocked = models.BooleanField(default=False)

    class Meta:
        ordering = ["line_number"]
        constraints = [models.UniqueConstraint(fields=["ret", "line_number"], name="return_item_unique_number")]

    def __str__(self) -> str:
        return f"{self.sku} × {self.quantity_received or self.quantity_expected}"
