"""Stock per product and warehouse, the ledger that explains every number, and the inventory feed row."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from config.db import ChangeTrackedModel
from fulfillment.models.catalog import Product
from fulfillment.models.reference import Warehouse
from tenants.models import TenantScopedModel


class StockLevel(TenantScopedModel):
    """The numbers for one product at one warehouse. Changed only by `fulfillment.services.stock.stock_apply`.

    available = on_hand − allocated. `backordered` is demand that no stock
    covers yet; it is not part of allocated, so allocated ≤ on_hand always.
    """

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="stock_levels")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock_levels")
    on_hand = models.BigIntegerField(default=0)
    allocated = models.BigIntegerField(default=0)
    incoming = models.BigIntegerField(default=0)
    backordered = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "environment", "product", "warehouse"], name="stock_unique_cell"),
            models.CheckConstraint(
                condition=Q(on_hand__gte=0)
                & Q(allocated__gte=0)
                & Q(incoming__gte=0)
                & Q(backordered__gte=0)
                & Q(allocated__lte=F("on_hand")),
                name="stock_non_negative_and_allocated_within_on_hand",
            ),
        ]

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated

    def __str__(self) -> str:
        return f"{self.product.sku} @ {self.warehouse.public_id}"


class InventoryRecord(TenantScopedModel, ChangeTrackedModel):
    """One row per product: the row GET /v1/inventory pages over.

    `stock_apply` touches it whenever any of the product's warehouse numbers
    change, so a SKU moves in the inventory feed exactly when its stock does.
    """

    product = models.OneToOneField(Product, on_delete=models.PROTECT, related_name="inventory_record")

    class Meta:
        indexes = [models.Index(fields=["tenant", "environment", "change_seq", "id"], name="inventory_feed_idx")]

    def __str__(self) -> str:
        return f"inventory {self.product.sku}"


class StockMovement(TenantScopedModel):
    """The ledger: one row per change to one stock cell, with why and what caused it.

    Summing the deltas of a cell reproduces its current numbers exactly.
    """

    class Reason(models.TextChoices):
        ALLOCATION = "allocation", "Allocated to an order"
        DEALLOCATION = "deallocation", "Released from an order"
        BACKORDER = "backorder", "Backordered demand"
        SHIPMENT = "shipment", "Shipped"
        VOID = "void", "Shipment voided"
        INBOUND_EXPECTED = "inbound_expected", "Inbound expected"
        RECEIPT = "receipt", "Received"
        ADJUSTMENT = "adjustment", "Adjusted"
        RETURN = "return", "Returned"
        SANDBOX_SET = "sandbox_set", "Set by the sandbox simulator"
        INITIAL = "initial", "Opening balance"

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=32, choices=Reason.choices)
    delta_on_hand = models.BigIntegerField(default=0)
    delta_allocated = models.BigIntegerField(default=0)
    delta_incoming = models.BigIntegerField(default=0)
    delta_backordered = models.BigIntegerField(default=0)
    on_hand_after = models.BigIntegerField()
    allocated_after = models.BigIntegerField()
    incoming_after = models.BigIntegerField()
    backordered_after = models.BigIntegerField()
    source_type = models.CharField(max_length=32, blank=True, help_text="order, shipment, inbound, adjustment, return…")
    source_id = models.CharField(max_length=40, blank=True, help_text="Public id of what caused the change.")
    actor = models.CharField(max_length=100, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "environment", "product", "warehouse", "id"], name="ledger_cell_idx"),
            models.Index(fields=["source_type", "source_id"], name="ledger_source_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reason} {self.product_id}@{self.warehouse_id}"
