"""The product catalogue: one tenant's SKUs, per environment."""

from __future__ import annotations

import uuid

from django.db import models

from config.db import ChangeTrackedModel
from tenants.models import TenantScopedModel


class WeightUnit(models.TextChoices):
    KG = "kg", "kg"
    G = "g", "g"
    LB = "lb", "lb"
    OZ = "oz", "oz"


class DimensionUnit(models.TextChoices):
    CM = "cm", "cm"
    MM = "mm", "mm"
    IN = "in", "in"


class Product(TenantScopedModel, ChangeTrackedModel):
    """A SKU of one tenant in one environment. Soft-deleted with `deleted_at` so feeds show deletions."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sku = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    barcode = models.CharField(max_length=64, blank=True)
    weight_value = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    weight_unit = models.CharField(max_length=2, choices=WeightUnit.choices, blank=True)
    length = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    width = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    height = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    dimension_unit = models.CharField(max_length=2, choices=DimensionUnit.choices, blank=True)
    customs_value_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    customs_value_currency = models.CharField(max_length=3, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "environment", "sku"], name="product_unique_sku_per_scope")
        ]
        indexes = [models.Index(fields=["tenant", "environment", "change_seq", "id"], name="product_feed_idx")]

    def __str__(self) -> str:
        return self.sku
