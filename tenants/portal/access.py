"""Who may do what in the portal, and which tenant and environment a request acts for.

Every portal view is wrapped by `portal_view(capability)`: it requires a signed-in
user, resolves the active membership (a user may belong to several tenants; the
choice is kept in the session and re-checked against the database on every
request), resolves the environment (live/sandbox, also kept in the session) and
refuses with 403 when the member's role lacks the capability. Views then read
tenant-owned rows only through `request.portal.scope`, so another tenant's id in
a URL is simply not found (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from tenants.models import Environment, Membership, Tenant

SESSION_TENANT = "portal_tenant_id"
SESSION_ENVIRONMENT = "portal_environment"

Role = Membership.Role

# The role matrix, decided once. Owners do everything; developers integrate;
# billing people see consumption and money. Everyone may read operations so a
# support person can answer "where is my order".
CAPABILITIES: dict[str, frozenset[str]] = {
    "dashboard.view": frozenset({Role.OWNER, Role.DEVELOPER, Role.BILLING}),
    "operations.view": frozenset({Role.OWNER, Role.DEVELOPER, Role.BILLING}),
    "usage.view": frozenset({Role.OWNER, Role.DEVELOPER, Role.BILLING}),
    "connections.view": frozenset({Role.OWNER, Role.DEVELOPER}),
    "connections.manage": frozenset({Role.OWNER, Role.DEVELOPER}),
    "logs.view": frozenset({Role.OWNER, Role.DEVELOPER}),
    "webhooks.view": frozenset({Role.OWNER, Role.DEVELOPER}),
    "webhooks.manage": frozenset({Role.OWNER, Role.DEVELOPER}),
    "billing.view": frozenset({Role.OWNER, Role.BILLING}),
    "audit.view": frozenset({Role.OWNER}),
    "members.manage": frozenset({Role.OWNER}),
}


@dataclass(frozen=True)
class PortalScope:
    """Duck-types the API scope for `Model.objects.for_scope(scope)`."""

    tenant: Tenant
    environment: str

    @property
    def is_sandbox(self) -> bool:
        return self.environment == Environment.SANDBOX


@dataclass(frozen=True)
class PortalContext:
    """What a portal request acts for: one membership, one environment."""

    membership: Membership
    environment: str
    memberships: tuple

    @property
    def tenant(self) -> Tenant:
        return self.membership.tenant

    @property
    def role(self) -> str:
        return self.membership.role

    @property
    def scope(self) -> PortalScope:
        return PortalScope(tenant=self.tenant, environment=self.environment)

    @property
    def is_sandbox(self) -> bool:
        return self.environment == Environment.SANDBOX

    def can(self, capability: str) -> bool:
        return self.role in CAPABILITIES[capability]

    @property
    def perms(self) -> dict[str, bool]:
        """For templates: `portal.perms.connections_manage`."""
        return {name.replace(".", "_"): self.role in roles for name, roles in CAPABILITIES.items()}


def resolve(request) -> PortalContext | None:
    """The active membership and environment, or None when the user belongs to no tenant."""
    memberships = tuple(request.user.memberships.select_related("tenant").order_by("tenant__name", "tenant_id"))
    if not memberships:
        return None
    wanted = request.session.get(SESSION_TENANT)
    active = next((m for m in memberships if m.tenant_id == wanted), None)
    if active is None:
        active = memberships[0]
        request.session[SESSION_TENANT] = active.tenant_id
    environment = request.session.get(SESSION_ENVIRONMENT)
    if environment not in Environment.values:
        environment = Environment.LIVE
    return PortalContext(membership=active, environment=environment, memberships=memberships)


def portal_view(capability: str):
    """Decorator: signed-in member of the active tenant whose role holds `capability`, else 302/403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            context = resolve(request)
            if context is None:
                return redirect("portal:no_tenant")
            request.portal = context
            if not context.can(capability):
                raise PermissionDenied(f"Your role ({context.role}) cannot do this.")
            return view(request, *args, **kwargs)

        wrapped.capability = capability
        return wrapped

    return decorator
