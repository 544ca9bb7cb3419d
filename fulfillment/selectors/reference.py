"""Reads for fulfillment. Tenant-owned reads take the caller's scope explicitly."""

from __future__ import annotations

from django.db.models import QuerySet

from fulfillment.models import ShippingMethod, Warehouse
from tenants.models import Tenant


def warehouses_for_tenant(tenant: Tenant) -> QuerySet[Warehouse]:
    """The warehouses a tenant may use: those staff allowed, or every active one if none were chosen."""
    allowed = tenant.allowed_warehouses.all()
    if allowed.exists():
        return allowed.filter(is_active=True)
    return Warehouse.objects.filter(is_active=True)


def shipping_methods_active() -> QuerySet[ShippingMethod]:
    return ShippingMethod.objects.filter(is_active=True).select_related("carrier")
