"""Shipments: what physically left, one parcel per tracking number."""

from __future__ import annotations

import uuid

from django.db import models

from config.db import ChangeTrackedModel
from config.ids import new_public_id
from fulfillment.models.orders import Order, OrderLine
from fulfillment.models.reference import Carrier, Warehouse
from tenants.models import TenantScopedModel


class ShipmentStatus(models.TextChoices):
    SHIPPED = "shipped", "Shipped"
    IN_TRANSIT = "in_transit", "In transit"
    OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
    DELIVERED = "delivered", "Delivered"
    EXCEPTION = "exception", "Exception"
    VOIDED = "voided", "Voided"


class Shipment(TenantScopedModel, ChangeTrackedModel):
    """A shipment of (part of) an order. Voided labels stay, flagged, so ERPs can reconcile."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    public_id = models.CharField(max_length=40, unique=True, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="shipments")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.SHIPPED)
    shipped_at = models.DateTimeField()
    cost_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    cost_currency = models.CharField(max_length=3, blank=True)
    voided = models.BooleanField(default=False)
    voided_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(
        default=1, help_text="Moves on every change, so a webhook receiver can discard a stale delivery."
    )

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "environment", "change_seq", "id"], name="shipment_feed_idx"),
            models.Index(fields=["order", "id"], name="shipment_order_idx"),
        ]

    def save(self, *args, **kwargs):
        if not self.public_id:
            self.public_id = new_public_id("shp")
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.public_id


class Parcel(models.Model):
    """One physical box with its own tracking number."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="parcels")
    tracking_number = models.CharField(max_length=64)
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="+")
    service = models.CharField(max_length=100)
    weight_value = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    weight_unit = models.CharField(max_length=2, blank=True)
    length = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    width = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    height = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    dimension_unit = models.CharField(max_length=2, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["carrier", "tracking_number"], name="parcel_unique_tracking_number")
        ]

    def __str__(self) -> str:
        return self.tracking_number


class ShipmentItem(models.Model):
    """A quantity of one order line that physically shipped in this shipment."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="items")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="shipment_items")
    sku = models.CharField(max_length=100)
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.sku} × {self.quantity}"
