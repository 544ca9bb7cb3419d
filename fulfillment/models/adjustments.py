"""Inventory adjustments: stock changes that come from no order — damage, counts, shrinkage, finds."""

from __future__ import annotations

import uuid

from django.db import models

from config.db import ChangeTrackedModel
from config.ids import new_public_id
from fulfillment.models.catalog import Product
from fulfillment.models.reference import Warehouse
from tenants.models import TenantScopedModel


class AdjustmentReason(models.TextChoices):
    """Blueprint §5b's closed set of reasons."""

    DAMAGED = "damaged", "Damaged"
    CYCLE_COUNT = "cycle_count", "Cycle count"
    LOST = "lost", "Lost"
    FOUND = "found", "Found"
    EXPIRED = "expired", "Expired"


class InventoryAdjustment(TenantScopedModel, ChangeTrackedModel):
    """A signed change to on_hand with its reason (`adj_…`). Immutable once written.

    `counted_quantity` is set when a cycle count was entered as "counted N";
    the delta is then N minus what was on hand at that moment.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    public_id = models.CharField(max_length=40, unique=True, editable=False)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(max_length=100)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    quantity_delta = models.BigIntegerField()
    reason = models.CharField(max_length=20, choices=AdjustmentReason.choices)
    note = models.CharField(max_length=300, blank=True)
    counted_quantity = models.BigIntegerField(null=True, blank=True)
    adjusted_at = models.DateTimeField()
    actor = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(quantity_delta=0), name="adjustment_delta_not_zero"),
        ]
        indexes = [
            models.Index(fields=["tenant", "environment", "change_seq", "id"], name="adjustment_feed_idx"),
            models.Index(fields=["tenant", "environment", "sku", "change_seq", "id"], name="adjustment_sku_idx"),
        ]

    def save(self, *args, **kwargs):
        if not self.public_id:
            self.public_id = new_public_id("adj")
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.public_id} {self.sku} {self.quantity_delta:+d} ({self.reason})"
