"""Tenants (the 3PL's clients), their people, and the credentials their systems use."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from config.db import ChangeTrackedModel
from config.ids import new_public_id


class Environment(models.TextChoices):
    LIVE = "live", "Live"
    SANDBOX = "sandbox", "Sandbox"


class Tenant(models.Model):
    """A client of the 3PL (a brand). Everything the API serves belongs to one tenant.

    The policy fields are the operator's per-client switches: some clients may not
    amend or cancel orders through the API, some have sandbox orders ship by
    themselves so a partner can watch the whole loop.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    suspended_reason = models.CharField(max_length=200, blank=True)
    api_amend_allowed = models.BooleanField(
        default=True, help_text="May this client amend orders through the API (PATCH /v1/orders/{id})?"
    )
    api_cancel_allowed = models.BooleanField(default=True, help_text="May this client cancel orders through the API?")
    allowed_warehouses = models.ManyToManyField(
        "fulfillment.Warehouse",
        blank=True,
        related_name="tenants",
        help_text="Warehouses this client may use. None selected means every active warehouse.",
    )
    sandbox_auto_ship_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="If set, sandbox orders ship by themselves this many seconds after creation.",
    )
    billing_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Membership(models.Model):
    """A portal user's place in one tenant, with a role that decides what they may do."""

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        DEVELOPER = "developer", "Developer"
        BILLING = "billing", "Billing"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="membership_unique_user_per_tenant")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant.slug} ({self.role})"


class ScopedQuerySet(models.QuerySet):
    """The one way to read tenant-owned rows: always through the caller's scope."""

    def for_scope(self, scope):
        return self.filter(tenant_id=scope.tenant.id, environment=scope.environment)


class TenantScopedModel(models.Model):
    """Abstract base for every tenant-owned row.

    The tenant and environment always come from the calling credential (see
    tenants/auth.py) and never from a request body. Fetches go through
    `Model.objects.for_scope(scope)`.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    environment = models.CharField(max_length=8, choices=Environment.choices, db_index=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True


class RateLimitGroup(models.TextChoices):
    STANDARD = "standard", "Standard (300/min)"
    HIGH = "high", "High (900/min)"
    LOW = "low", "Low (60/min)"


class ApiConnection(ChangeTrackedModel):
    """One integrating system's access to one tenant in one environment.

    The unit of billing (per active connection), of metering, of rate limiting
    and of policy monitoring. A connection holds one or more keys (several only
    while a rolled key is still inside its grace period).
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        REVOKED = "revoked", "Revoked"

    class Scope(models.TextChoices):
        FULL = "full", "Full access"
        READ_ONLY = "read_only", "Read-only"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    public_id = models.CharField(max_length=40, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="connections")
    environment = models.CharField(max_length=8, choices=Environment.choices)
    name = models.CharField(max_length=100)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    suspended_reason = models.CharField(max_length=200, blank=True)
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.FULL)
    rate_limit_standard = models.PositiveIntegerField(null=True, blank=True, help_text="Override, requests/min.")
    rate_limit_high = models.PositiveIntegerField(null=True, blank=True, help_text="Override, requests/min.")
    rate_limit_low = models.PositiveIntegerField(null=True, blank=True, help_text="Override, requests/min.")
    inventory_full_poll_interval_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Approved minimum interval between full inventory scans. Empty = the default policy.",
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_token_minted_at = models.DateTimeField(null=True, blank=True)
    last_full_inventory_poll_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "environment", "status"])]

    def save(self, *args, **kwargs):
        if not self.public_id:
            self.public_id = new_public_id("con")
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.name} [{self.environment}] ({self.public_id})"

    def rate_limit_for(self, group: str) -> int:
        override = getattr(self, f"rate_limit_{group}", None)
        return override if override else settings.RATE_LIMIT_GROUPS[group]

    def usable_between(self, start, end) -> bool:
        """Was this connection usable at any moment of [start, end)? (billing: active week)."""
        if self.created_at >= end:
            return False
        return self.revoked_at is None or self.revoked_at > start


class ApiKey(models.Model):
    """A secret key of a connection: `wms_live_<key_id>_<secret>`.

    Only an HMAC-SHA256 of the secret (keyed with a server-side pepper) is
    stored; the key itself is shown once. `expires_at` is set when the key is
    rolled (grace period) and `revoked_at` when it is revoked outright.
    """

    connection = models.ForeignKey(ApiConnection, on_delete=models.CASCADE, related_name="keys")
    key_id = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    display_prefix = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.display_prefix}… ({self.connection.name})"

    def unused_expiry_at(self):
        last = self.last_used_at or self.created_at
        return last + timedelta(days=settings.API_KEY_UNUSED_EXPIRY_DAYS)

    def effective_expires_at(self):
        candidates = [self.unused_expiry_at()]
        if self.expires_at:
            candidates.append(self.expires_at)
        return min(candidates)


class AccessToken(models.Model):
    """A 60-minute bearer token minted from a key by POST /v1/auth/token."""

    connection = models.ForeignKey(ApiConnection, on_delete=models.CASCADE, related_name="tokens")
    token_id = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    minted_with_key = models.ForeignKey(ApiKey, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"token {self.token_id} ({self.connection.name})"


class PolicyEvent(models.Model):
    """A recorded deviation from the operator's API usage policy (not necessarily refused)."""

    class Kind(models.TextChoices):
        TOKEN_MINT_TOO_SOON = "token_mint_too_soon", "Token minted within 30 minutes of the previous one"
        INVENTORY_POLL_REFUSED = "inventory_poll_refused", "Full inventory poll refused (too frequent)"
        RATE_LIMITED = "rate_limited", "Rate limit reached"
        SUSPENDED = "suspended", "Suspended"
        UNSUSPENDED = "unsuspended", "Suspension lifted"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="policy_events")
    connection = models.ForeignKey(
        ApiConnection, on_delete=models.CASCADE, null=True, blank=True, related_name="policy_events"
    )
    environment = models.CharField(max_length=8, choices=Environment.choices)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "kind", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.created_at:%Y-%m-%d %H:%M}"


class AuditLogEntry(models.Model):
    """Who did what to a tenant's credentials and settings (portal, admin or command)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="audit_log")
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    actor_label = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=100, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.action} {self.target}"


class Notice(models.Model):
    """Something the tenant should see in the portal: bandwidth alerts, disabled webhooks, policy warnings."""

    class Level(models.TextChoices):
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        CRITICAL = "critical", "Critical"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="notices")
    environment = models.CharField(max_length=8, choices=Environment.choices, blank=True)
    kind = models.CharField(max_length=64)
    level = models.CharField(max_length=16, choices=Level.choices, default=Level.INFO)
    message = models.CharField(max_length=500)
    dedup_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "dedup_key"],
                condition=~models.Q(dedup_key=""),
                name="notice_unique_dedup_key",
            )
        ]

    def __str__(self) -> str:
        return self.message
