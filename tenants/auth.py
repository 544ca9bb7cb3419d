"""Resolving the caller from `Authorization: Bearer …` — the one place tenant and environment are set."""

from __future__ import annotations

from django.utils import timezone
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import SAFE_METHODS, BasePermission

from config.api.errors import AuthenticationFailed, PermissionDenied
from tenants import credentials
from tenants.models import AccessToken, ApiConnection, ApiKey, Tenant
from tenants.scoping import ApiScope


class ResolvedCredential:
    """What authentication found: the scope, plus the key (None for tokens) for bookkeeping."""

    def __init__(self, scope: ApiScope, api_key: ApiKey | None):
        self.scope = scope
        self.api_key = api_key


def bearer_value(header: str | None) -> str:
    if not header:
        raise AuthenticationFailed(
            "Send your API key or access token as 'Authorization: Bearer <key>'.", code="missing_credentials"
        )
    kind, _, value = header.partition(" ")
    if kind.lower() != "bearer" or not value.strip():
        raise AuthenticationFailed("The Authorization header must be 'Bearer <key>'.", code="malformed_credentials")
    return value.strip()


def connection_hint(header: str | None) -> str | None:
    """The key id a (possibly failing) credential claims, so failed attempts can be metered."""
    try:
        parsed = credentials.parse(bearer_value(header))
    except AuthenticationFailed:
        return None
    return parsed.lookup_id if parsed else None


def _check_standing(connection: ApiConnection, tenant: Tenant) -> None:
    if connection.status == ApiConnection.Status.REVOKED:
        raise AuthenticationFailed("This connection has been revoked.", code="credentials_revoked")
    if tenant.status != Tenant.Status.ACTIVE:
        raise PermissionDenied("API access for this account is suspended.", code="account_suspended")
    if connection.status == ApiConnection.Status.SUSPENDED:
        raise PermissionDenied("This connection is suspended.", code="connection_suspended")


def authenticate_bearer(header: str | None, *, allow_tokens: bool = True) -> ResolvedCredential:
    """Resolve a bearer credential or raise the precise 401/403.

    An unknown key id and a wrong secret give the same answer, so ids cannot be probed.
    """
    raw = bearer_value(header)
    parsed = credentials.parse(raw)
    if parsed is None:
        raise AuthenticationFailed(
            "That is not an API key or access token of this service.", code="malformed_credentials"
        )
    now = timezone.now()
    invalid = AuthenticationFailed("The API key or token is not valid.", code="invalid_credentials")
    if parsed.kind == "key":
        api_key = (
            ApiKey.objects.select_related("connection", "connection__tenant").filter(key_id=parsed.lookup_id).first()
        )
        if api_key is None or not credentials.secret_matches(parsed.secret, api_key.secret_hash):
            credentials.secret_matches(parsed.secret, "0" * 64)  # same work either way
            raise invalid
        connection = api_key.connection
        if connection.environment != parsed.environment:
            raise invalid
        if api_key.revoked_at is not None:
            raise AuthenticationFailed("This API key has been revoked.", code="credentials_revoked")
        _check_standing(connection, connection.tenant)
        if api_key.expires_at is not None and api_key.expires_at <= now:
            raise AuthenticationFailed("This API key has expired; use the rolled key.", code="credentials_expired")
        if api_key.unused_expiry_at() <= now:
            raise AuthenticationFailed(
                "This API key expired after being unused for too long.", code="credentials_expired"
            )
        scope = ApiScope(
            tenant=connection.tenant,
            environment=connection.environment,
            connection=connection,
            credential_kind="key",
            credential_expires_at=api_key.effective_expires_at(),
        )
        return ResolvedCredential(scope, api_key)

    if not allow_tokens:
        raise AuthenticationFailed("Mint tokens with an API key, not with a token.", code="key_required")
    token = (
        AccessToken.objects.select_related("connection", "connection__tenant").filter(token_id=parsed.lookup_id).first()
    )
    if token is None or not credentials.secret_matches(parsed.secret, token.secret_hash):
        credentials.secret_matches(parsed.secret, "0" * 64)
        raise invalid
    connection = token.connection
    _check_standing(connection, connection.tenant)
    if token.expires_at <= now:
        raise AuthenticationFailed("This access token has expired; mint a new one.", code="credentials_expired")
    scope = ApiScope(
        tenant=connection.tenant,
        environment=connection.environment,
        connection=connection,
        credential_kind="token",
        credential_expires_at=token.expires_at,
    )
    return ResolvedCredential(scope, None)


class ApiUser:
    """The DRF `request.user` for API calls: a connection, never a portal user."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False

    def __init__(self, scope: ApiScope):
        self.scope = scope

    def __str__(self) -> str:
        return self.scope.actor_label


class ApiCredentialAuthentication(BaseAuthentication):
    """Hands DRF the scope resolved by ApiCredentialMiddleware (authentication runs once)."""

    def authenticate(self, request):
        scope = getattr(request._request, "api_scope", None)
        if scope is None:
            return None
        return ApiUser(scope), scope

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class HasApiCredential(BasePermission):
    """Every /v1 endpoint needs a credential; read-only connections may not write."""

    def has_permission(self, request, view):
        scope = request.auth
        if scope is None:
            raise AuthenticationFailed(
                "Send your API key or access token as 'Authorization: Bearer <key>'.", code="missing_credentials"
            )
        if request.method not in SAFE_METHODS and scope.read_only and not getattr(view, "allowed_for_read_only", False):
            raise PermissionDenied("This connection is read-only.", code="insufficient_scope")
        return True
