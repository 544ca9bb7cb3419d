"""The caller's scope: which tenant, environment and connection a request acts for."""

from __future__ import annotations

from dataclasses import dataclass

from tenants.models import ApiConnection, Tenant


@dataclass(frozen=True)
class ApiScope:
    """Resolved once per request from the credential (tenants/middleware.py) and nowhere else."""

    tenant: Tenant
    environment: str
    connection: ApiConnection
    credential_kind: str  # "key" or "token"
    credential_expires_at: object = None

    @property
    def is_sandbox(self) -> bool:
        return self.environment == "sandbox"

    @property
    def read_only(self) -> bool:
        return self.connection.scope == ApiConnection.Scope.READ_ONLY

    @property
    def actor_label(self) -> str:
        return f"api:{self.connection.public_id}"
