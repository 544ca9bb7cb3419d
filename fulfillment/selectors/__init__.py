"""Reads for fulfillment, one module per area. Tenant-owned reads take the caller's scope explicitly."""

from fulfillment.selectors.reference import shipping_methods_active, warehouses_for_tenant

__all__ = ["shipping_methods_active", "warehouses_for_tenant"]
