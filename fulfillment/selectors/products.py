"""Reads of the product catalogue, always through the caller's scope."""

from __future__ import annotations

from django.db.models import QuerySet

from config.api.errors import NotFound
from fulfillment.models import Product


def product_list(*, scope) -> QuerySet[Product]:
    """Every product of the caller, deleted ones included (they carry deleted_at, so feeds see deletions)."""
    return Product.objects.for_scope(scope)


def product_get(*, scope, sku: str, include_deleted: bool = True) -> Product:
    """One product by sku, or 404 (also for another tenant's or environment's)."""
    queryset = Product.objects.for_scope(scope).filter(sku=sku)
    if not include_deleted:
        queryset = queryset.filter(deleted_at__isnull=True)
    product = queryset.first()
    if product is None:
        raise NotFound(f"No product with sku '{sku}'.")
    return product
