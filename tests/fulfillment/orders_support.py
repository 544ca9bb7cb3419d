"""Helpers shared by the orders and products tests (not a conftest, so other areas' tests are unaffected)."""

from __future__ import annotations

import copy

import pytest
from django.db import transaction

from fulfillment.models import (
    IdempotencyKey,
    Order,
    OrderHistory,
    OrderLine,
    Product,
    StockLevel,
    StockMovement,
    Warehouse,
)
from fulfillment.services.stock import StockDelta, stock_apply

BODY = {
    "order_number": "SO-100423",
    "reference": "F-100423-1",
    "order_date": "2026-07-02T09:15:00Z",
    "warehouse_id": "wh_syd_1",
    "shipping_method_id": "sm_auspost_express",
    "signature_required": False,
    "insurance": False,
    "gift_message": None,
    "packing_note": "Leave in porch",
    "ship_to": {
        "name": "Jane Doe",
        "company": "Acme Pty Ltd",
        "email": "jane@example.com",
        "phone": "+61 400 123 456",
        "address1": "123 Main St",
        "address2": None,
        "city": "Sydney",
        "state": "NSW",
        "postcode": "2000",
        "country": "AU",
    },
    "items": [
        {
            "sku": "WIDGET-BLUE-M",
            "description": "Blue Widget — Medium",
            "quantity": 2,
            "unit_price": "19.99",
            "currency": "AUD",
        }
    ],
}


def order_body(**overrides) -> dict:
    body = copy.deepcopy(BODY)
    body.update(overrides)
    return body


def product_make(tenant, environment: str, sku: str, description: str = "") -> Product:
    product, _ = Product.objects.get_or_create(
        tenant=tenant, environment=environment, sku=sku, defaults={"description": description or sku}
    )
    return product


def stock_set(tenant, environment: str, sku: str, warehouse: str, on_hand: int) -> None:
    """Add `on_hand` units of a SKU (created if needed) at a warehouse, through the ledger."""
    product = product_make(tenant, environment, sku)
    wh = Warehouse.objects.get(public_id=warehouse)
    with transaction.atomic():
        stock_apply(
            tenant=tenant,
            environment=environment,
            deltas=[StockDelta(product_id=product.pk, warehouse_id=wh.pk, on_hand=on_hand)],
            reason=StockMovement.Reason.INITIAL,
        )


def cell(tenant, environment: str, sku: str, warehouse: str = "wh_syd_1") -> StockLevel | None:
    return StockLevel.objects.filter(
        tenant=tenant, environment=environment, product__sku=sku, warehouse__public_id=warehouse
    ).first()


def cell_numbers(tenant, environment: str, sku: str, warehouse: str = "wh_syd_1") -> tuple[int, int, int]:
    c = cell(tenant, environment, sku, warehouse)
    return (c.on_hand, c.allocated, c.backordered) if c else (0, 0, 0)


def snapshot() -> dict:
    """Everything an order write could touch; compare before/after a refusal."""
    return {
        "orders": list(Order.objects.order_by("id").values_list("id", "version", "status")),
        "lines": list(OrderLine.objects.order_by("id").values_list("id", "quantity", "quantity_allocated")),
        "history": OrderHistory.objects.count(),
        "movements": StockMovement.objects.count(),
        "stock": list(StockLevel.objects.order_by("id").values_list("id", "on_hand", "allocated", "backordered")),
        "keys": IdempotencyKey.objects.count(),
        "products": list(Product.objects.order_by("id").values_list("id", "sku", "description", "deleted_at")),
    }


@pytest.fixture
def feed_without_watermark(monkeypatch):
    """Feed tests on PostgreSQL page without the in-flight-transaction watermark.

    The watermark (config/api/pagination.py) is cluster-wide: an open
    transaction in any database on the server (another engineer's test run)
    holds it back and committed rows stay invisible meanwhile. These tests are
    about rows moving in the feed; the watermark itself is tested with pagination.
    """
    monkeypatch.setattr("config.api.pagination.committed_changes", lambda queryset: queryset)
