"""Every write the business knows about tenants, connections and credentials.

Called alike by the API, the portal, admin actions and management commands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.api.errors import Conflict, ValidationFailed
from tenants import credentials
from tenants.models import (
    AccessToken,
    ApiConnection,
    ApiKey,
    AuditLogEntry,
    Environment,
    Notice,
    PolicyEvent,
    Tenant,
)

ROLL_EXPIRY_CHOICES = {
    "now": timedelta(0),
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
}


@dataclass(frozen=True)
class IssuedKey:
    """A freshly issued key: the only moment the full secret exists outside the client."""

    connection: ApiConnection
    api_key: ApiKey
    key: str


def audit_record(*, tenant: Tenant, action: str, target: str = "", actor_user=None, actor_label: str = "", **detail):
    """Append an entry to the tenant's audit log."""
    return AuditLogEntry.objects.create(
        tenant=tenant,
        action=action,
        target=target,
        actor_user=actor_user,
        actor_label=actor_label or (getattr(actor_user, "username", "") if actor_user else "system"),
        detail=detail,
    )


def policy_event_record(*, tenant: Tenant, connection: ApiConnection | None, kind: str, **detail) -> PolicyEvent:
    """Record a policy deviation so staff and the tenant can see it later."""
    return PolicyEvent.objects.create(
        tenant=tenant,
        connection=connection,
        environment=connection.environment if connection else "",
        kind=kind,
        detail=detail,
    )


def notice_raise(
    *, tenant: Tenant, kind: str, message: str, level: str = Notice.Level.WARNING, environment: str = "", dedup_key=""
) -> Notice:
    """Show the tenant a notice in the portal; a dedup key makes raising it again a no-op."""
    if dedup_key:
        notice, _ = Notice.objects.get_or_create(
            tenant=tenant,
            dedup_key=dedup_key,
            defaults={"kind": kind, "message": message, "level": level, "environment": environment},
        )
        return notice
    return Notice.objects.create(tenant=tenant, kind=kind, message=message, level=level, environment=environment)


def tenant_create(*, slug: str, name: str) -> Tenant:
    """Create a tenant; a slug that exists is a conflict."""
    if Tenant.objects.filter(slug=slug).exists():
        raise Conflict(f"Tenant '{slug}' already exists.", code="duplicate_tenant", field="slug")
    return Tenant.objects.create(slug=slug, name=name)


def _new_key(connection: ApiConnection) -> IssuedKey:
    key, key_id, secret = credentials.generate_key(connection.environment)
    api_key = ApiKey.objects.create(
        connection=connection,
        key_id=key_id,
        secret_hash=credentials.hash_secret(secret),
        display_prefix=credentials.display_prefix(key),
    )
    return IssuedKey(connection=connection, api_key=api_key, key=key)


@transaction.atomic
def connection_create(
    *,
    tenant: Tenant,
    environment: str,
    name: str,
    scope: str = ApiConnection.Scope.FULL,
    actor_user=None,
    actor_label: str = "",
) -> IssuedKey:
    """Create a connection for one integrating system and issue its first key (shown once)."""
    if environment not in Environment.values:
        raise ValidationFailed("environment must be 'live' or 'sandbox'.", code="invalid_choice", field="environment")
    if scope not in ApiConnection.Scope.values:
        raise ValidationFailed("scope must be 'full' or 'read_only'.", code="invalid_choice", field="scope")
    name = (name or "").strip()
    if not name or len(name) > 100 or any(ord(c) < 32 for c in name):
        raise ValidationFailed("name must be 1–100 printable characters.", code="invalid_field", field="name")
    connection = ApiConnection.objects.create(tenant=tenant, environment=environment, name=name, scope=scope)
    issued = _new_key(connection)
    audit_record(
        tenant=tenant,
        action="connection.created",
        target=connection.public_id,
        actor_user=actor_user,
        actor_label=actor_label,
        environment=environment,
        name=name,
        scope=scope,
    )
    return issued


@transaction.atomic
def api_key_roll(
    *, connection: ApiConnection, old_key_expires_in: timedelta, actor_user=None, actor_label: str = ""
) -> IssuedKey:
    """Issue a new key; the connection's current keys keep working until `now + old_key_expires_in`."""
    connection = ApiConnection.objects.select_for_update().get(pk=connection.pk)
    if connection.status == ApiConnection.Status.REVOKED:
        raise Conflict("A revoked connection cannot be rolled.", code="connection_revoked")
    if old_key_expires_in < timedelta(0) or old_key_expires_in > timedelta(days=7):
        raise ValidationFailed("The old key may stay valid for 0 to 7 days.", code="out_of_range", field="expires_in")
    expiry = timezone.now() + old_key_expires_in
    for old in connection.keys.filter(revoked_at__isnull=True):
        if old.expires_at is None or old.expires_at > expiry:
            old.expires_at = expiry
            old.save(update_fields=["expires_at"])
    issued = _new_key(connection)
    audit_record(
        tenant=connection.tenant,
        action="key.rolled",
        target=connection.public_id,
        actor_user=actor_user,
        actor_label=actor_label,
        old_key_expires_at=expiry.isoformat(),
        new_key_prefix=issued.api_key.display_prefix,
    )
    return issued


@transaction.atomic
def connection_revoke(*, connection: ApiConnection, actor_user=None, actor_label: str = "") -> ApiConnection:
    """Revoke a connection: every key and token stops working at once. Idempotent."""
    connection = ApiConnection.objects.select_for_update().get(pk=connection.pk)
    if connection.status == ApiConnection.Status.REVOKED:
        return connection
    now = timezone.now()
    connection.status = ApiConnection.Status.REVOKED
    connection.revoked_at = now
    connection.save(update_fields=["status", "revoked_at", "updated_at"])
    connection.keys.filter(revoked_at__isnull=True).update(revoked_at=now)
    connection.tokens.filter(expires_at__gt=now).update(expires_at=now)
    audit_record(
        tenant=connection.tenant,
        action="connection.revoked",
        target=connection.public_id,
        actor_user=actor_user,
        actor_label=actor_label,
    )
    return connection


@transaction.atomic
def connection_set_suspended(
    *, connection: ApiConnection, suspended: bool, reason: str = "", actor_user=None, actor_label: str = ""
) -> ApiConnection:
    """Suspend a connection (API answers 403 connection_suspended) or lift the suspension."""
    connection = ApiConnection.objects.select_for_update().get(pk=connection.pk)
    if connection.status == ApiConnection.Status.REVOKED:
        raise Conflict("A revoked connection cannot be suspended or restored.", code="connection_revoked")
    target = ApiConnection.Status.SUSPENDED if suspended else ApiConnection.Status.ACTIVE
    if connection.status == target:
        return connection
    connection.status = target
    connection.suspended_reason = reason if suspended else ""
    connection.suspended_at = timezone.now() if suspended else None
    connection.save(update_fields=["status", "suspended_reason", "suspended_at", "updated_at"])
    kind = PolicyEvent.Kind.SUSPENDED if suspended else PolicyEvent.Kind.UNSUSPENDED
    policy_event_record(tenant=connection.tenant, connection=connection, kind=kind, reason=reason)
    audit_record(
        tenant=connection.tenant,
        action="connection.suspended" if suspended else "connection.unsuspended",
        target=connection.public_id,
        actor_user=actor_user,
        actor_label=actor_label,
        reason=reason,
    )
    return connection


@transaction.atomic
def tenant_set_suspended(
    *, tenant: Tenant, suspended: bool, reason: str = "", actor_user=None, actor_label: str = ""
) -> Tenant:
    """Suspend a whole tenant (API answers 403 account_suspended) or lift it."""
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    target = Tenant.Status.SUSPENDED if suspended else Tenant.Status.ACTIVE
    if tenant.status == target:
        return tenant
    tenant.status = target
    tenant.suspended_reason = reason if suspended else ""
    tenant.save(update_fields=["status", "suspended_reason", "updated_at"])
    kind = PolicyEvent.Kind.SUSPENDED if suspended else PolicyEvent.Kind.UNSUSPENDED
    policy_event_record(tenant=tenant, connection=None, kind=kind, reason=reason, scope="tenant")
    audit_record(
        tenant=tenant,
        action="tenant.suspended" if suspended else "tenant.unsuspended",
        target=tenant.slug,
        actor_user=actor_user,
        actor_label=actor_label,
        reason=reason,
    )
    if suspended:
        notice_raise(
            tenant=tenant,
            kind="account_suspended",
            level=Notice.Level.CRITICAL,
            message=f"API access for this account is suspended. {reason}".strip(),
        )
    else:
        Notice.objects.filter(tenant=tenant, kind="account_suspended", resolved_at__isnull=True).update(
            resolved_at=timezone.now()
        )
    return tenant


@dataclass(frozen=True)
class MintedToken:
    """An access token as returned once by POST /v1/auth/token."""

    token: str
    expires_at: datetime
    expires_in: int


def access_token_mint(*, connection: ApiConnection, api_key: ApiKey | None) -> MintedToken:
    """Mint a 60-minute access token. Minting again within 30 minutes is recorded, not refused."""
    now = timezone.now()
    lifetime = settings.ACCESS_TOKEN_LIFETIME
    with transaction.atomic():
        locked = ApiConnection.objects.select_for_update().get(pk=connection.pk)
        previous = locked.last_token_minted_at
        if previous and now - previous < settings.TOKEN_MINT_MIN_INTERVAL:
            policy_event_record(
                tenant=locked.tenant,
                connection=locked,
                kind=PolicyEvent.Kind.TOKEN_MINT_TOO_SOON,
                seconds_since_previous=int((now - previous).total_seconds()),
            )
        locked.last_token_minted_at = now
        ApiConnection.objects.filter(pk=locked.pk).update(last_token_minted_at=now)
        token, token_id, secret = credentials.generate_token()
        AccessToken.objects.create(
            connection=locked,
            token_id=token_id,
            secret_hash=credentials.hash_secret(secret),
            minted_with_key=api_key,
            created_at=now,
            expires_at=now + lifetime,
        )
    return MintedToken(token=token, expires_at=now + lifetime, expires_in=int(lifetime.total_seconds()))


def credential_touch(*, api_key: ApiKey | None, connection: ApiConnection, now: datetime) -> None:
    """Record use of a key, at most once a minute per key (a conditional UPDATE, not a read)."""
    threshold = now - settings.LAST_USED_WRITE_INTERVAL
    if connection.last_used_at is None or connection.last_used_at < threshold:
        ApiConnection.objects.filter(pk=connection.pk).exclude(last_used_at__gte=threshold).update(last_used_at=now)
    if api_key is not None and (api_key.last_used_at is None or api_key.last_used_at < threshold):
        ApiKey.objects.filter(pk=api_key.pk).exclude(last_used_at__gte=threshold).update(last_used_at=now)
