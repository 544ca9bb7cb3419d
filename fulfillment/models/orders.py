"""Orders: the ERP's intent to ship, its lines, and its history."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from config.db import ChangeTrackedModel
from config.ids import new_public_id
from fulfillment.models.catalog import Product
from fulfillment.models.reference import ShippingMethod, Warehouse
from tenants.models import ApiConnection, TenantScopedModel


class OrderStatus(models.TextChoices):
    """The appendix's closed vocabulary. Transitions are enforced in fulfillment/services/orders.py only."""

    RECEIVED = "received", "Received"
    PROCESSING = "processing", "Processing"
    PARTIALLY_SHIPPED = "partially_shipped", "Partially shipped"
    SHIPPED = "shipped", "Shipped"
    ON_HOLD = "on_hold", "On hold"
    BACKORDERED = "backordered", "Backordered"
    CANCELLED = "cancelled", "Cancelled"


class Order(TenantScopedModel, ChangeTrackedModel):
    """A fulfillment order. `public_id` (ord_…) is permanent; `version` moves on every change."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    public_id = models.CharField(max_length=40, unique=True, editable=False)
    order_number = models.CharField(max_length=100)
    reference = models.CharField(max_length=100)
    order_date = models.DateTimeField(null=True, blank=True)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="orders")
    shipping_method = models.ForeignKey(
        ShippingMethod, on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.RECEIVED)
    version = models.PositiveIntegerField(default=1)
    signature_required = models.BooleanField(default=False)
    insurance = models.BooleanField(default=False)
    gift_message = models.CharField(max_length=500, blank=True, null=True)
    packing_note = models.CharField(max_length=500, blank=True, null=True)
    ship_to_name = models.CharField(max_length=200)
    ship_to_company = models.CharField(max_length=200, blank=True, null=True)
    ship_to_email = models.CharField(max_length=254, blank=True, null=True)
    ship_to_phone = models.CharField(max_length=50, blank=True, null=True)
    ship_to_address1 = models.CharField(max_length=200)
    ship_to_address2 = models.CharField(max_length=200, blank=True, null=True)
    ship_to_city = models.CharField(max_length=100)
    ship_to_state = models.CharField(max_length=100, blank=True, null=True)
    ship_to_postcode = models.CharField(max_length=20, blank=True, null=True)
    ship_to_country = models.CharField(max_length=2)
    status_before_hold = models.CharField(max_length=20, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_by_connection = models.ForeignKey(
        ApiConnection, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    create_request_hash = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the create payload: a repeated create is recognised by it."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "environment", "reference"], name="order_unique_reference")
        ]
        indexes = [
            models.Index(fields=["tenant", "environment", "change_seq", "id"], name="order_feed_idx"),
            models.Index(fields=["tenant", "environment", "order_number"], name="order_number_idx"),
            models.Index(fields=["tenant", "environment", "status", "created_at"], name="order_status_idx"),
        ]

    def save(self, *args, **kwargs):
        if not self.public_id:
            self.public_id = new_public_id("ord")
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.order_number} ({self.public_id})"


class OrderLine(models.Model):
    """One line of an order, with how much of it is allocated, backordered and shipped."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveIntegerField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True, null=True)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, null=True)
    quantity_allocated = models.PositiveIntegerField(default=0)
    quantity_backordered = models.PositiveIntegerField(default=0)
    quantity_shipped = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["line_number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_number"], name="order_line_unique_number"),
            models.CheckConstraint(
                condition=models.Q(quantity_shipped__lte=models.F("quantity")), name="order_line_not_overshipped"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} × {self.quantity}"


class OrderHistory(models.Model):
    """The order's audit trail: creation, each amendment with what changed, status changes, who did it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history")
    kind = models.CharField(max_length=32)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    version = models.PositiveIntegerField()
    changes = models.JSONField(default=dict, blank=True)
    actor_label = models.CharField(max_length=100, blank=True)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} v{self.version}"
