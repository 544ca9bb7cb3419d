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
