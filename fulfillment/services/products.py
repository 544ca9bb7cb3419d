"""The product catalogue: create (idempotent on sku), update, soft delete."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from config.api.errors import Conflict
from fulfillment.models import Product
from tenants.models import Tenant

# Model fields an API product payload maps to, with the value an omitted field means.
PRODUCT_FIELDS = {
    "description": "",
    "barcode": "",
    "weight_value": None,
    "weight_unit": "",
    "length": None,
    "width": None,
    "height": None,
    "dimension_unit": "",
    "customs_value_amount": None,
    "customs_value_currency": "",
}


def product_fields_from_input(data: dict, *, partial: bool = False) -> dict:
    """Flatten ProductIn's validated data (weight, dimensions, customs_value objects) into model fields."""
    out: dict = {}
    for name in ("description", "barcode"):
        if name in data:
            out[name] = data[name] or ""
    if "weight" in data:
        weight = data["weight"] or {}
        out["weight_value"] = weight.get("value")
        out["weight_unit"] = weight.get("unit") or ""
    if "dimensions" in data:
        dims = data["dimensions"] or {}
        for name in ("length", "width", "height"):
            out[name] = dims.get(name)
        out["dimension_unit"] = dims.get("unit") or ""
    if "customs_value" in data:
        money = data["customs_value"] or {}
        out["customs_value_amount"] = money.get("amount")
        out["customs_value_currency"] = money.get("currency") or ""
    if not partial:
        out = {**PRODUCT_FIELDS, **out}
    return out


def _same(product: Product, fields: dict) -> bool:
    return all(getattr(product, name) == value for name, value in fields.items())


def product_create(*, tenant: Tenant, environment: str, sku: str, data: dict) -> tuple[Product, bool]:
    """Create a SKU in the caller's catalogue. Returns (product, created).

    The same sku again with the same fields returns the existing product
    (created=False); with different fields it is 409 duplicate_sku. A
    soft-deleted sku is brought back with the new fields (created=True).
    """
    fields = product_fields_from_input(data)
    existing = Product.objects.filter(tenant=tenant, environment=environment, sku=sku).first()
    if existing is None:
        try:
            with transaction.atomic():
                return Product.objects.create(tenant=tenant, environment=environment, sku=sku, **fields), True
        except IntegrityError:
            existing = Product.objects.filter(tenant=tenant, environment=environment, sku=sku).first()
            if existing is None:
                raise
    if existing.deleted_at is not None:
        with transaction.atomic():
            for name, value in fields.items():
                setattr(existing, name, value)
            existing.deleted_at = None
            existing.save()
        return existing, True
    if not _same(existing, fields):
        raise Conflict(
            f"SKU '{sku}' already exists with different details; PATCH /v1/products/{sku} to change it.",
            code="duplicate_sku",
            field="sku",
        )
    return existing, False


@transaction.atomic
def product_update(*, product: Product, data: dict) -> Product:
    """Change only the fields sent (PATCH). Refreshes the product's place in the feed."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    for name, value in product_fields_from_input(data, partial=True).items():
        setattr(product, name, value)
    product.save()
    return product


@transaction.atomic
def product_delete(*, product: Product) -> Product:
    """Soft delete: the SKU disappears from new orders but stays in the feed with `deleted_at`."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    if product.deleted_at is None:
        product.deleted_at = timezone.now()
        product.save()
    return product
