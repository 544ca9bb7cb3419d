"""Plain factory functions for tests."""

from __future__ import annotations

from tenants import services
from tenants.models import Tenant


def make_tenant(slug: str, **fields) -> Tenant:
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant:
        return tenant
    return Tenant.objects.create(slug=slug, name=fields.pop("name", slug.title()), **fields)


def make_connection(tenant: Tenant, environment: str = "sandbox", name: str | None = None, scope: str = "full"):
    return services.connection_create(
        tenant=tenant, environment=environment, name=name or f"{tenant.slug} {environment} ERP", scope=scope
    )


def make_product(tenant: Tenant, environment: str, sku: str):
    """A product of the tenant in that environment (created once)."""
    from fulfillment.models import Product

    product, _ = Product.objects.get_or_create(tenant=tenant, environment=environment, sku=sku)
    return product


def set_stock(tenant: Tenant, environment: str, sku: str, on_hand: int, warehouse: str = "wh_syd_1"):
    """Add `on_hand` units of a SKU at a warehouse as an opening balance, through the stock service."""
    from django.db import transaction

    from fulfillment.models import StockMovement, Warehouse
    from fulfillment.services.stock import StockDelta, stock_apply

    product = make_product(tenant, environment, sku)
    wh = Warehouse.objects.get(public_id=warehouse)
    with transaction.atomic():
        stock_apply(
            tenant=tenant,
            environment=environment,
            deltas=[StockDelta(product_id=product.pk, warehouse_id=wh.pk, on_hand=on_hand)],
            reason=StockMovement.Reason.INITIAL,
        )
    return product
