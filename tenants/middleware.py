"""Authentication and rate limiting for /v1, done once in middleware rather than per view.

Both run in `process_view`, after URL resolution, so they can read the view's
declared rate-limit group and whether it is public.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from config.api.errors import ApiError, RateLimited, error_response
from config.api.middleware import is_api_path
from tenants import ratelimit
from tenants.auth import authenticate_bearer, connection_hint
from tenants.models import PolicyEvent
from tenants.services import credential_touch, policy_event_record


def view_class(view_func):
    return getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)


def view_attr(view_func, name: str, default=None):
    cls = view_class(view_func)
    return getattr(cls, name, default) if cls is not None else getattr(view_func, name, default)


class ApiCredentialMiddleware:
    """Resolves `request.api_scope` from the bearer credential for every non-public /v1 view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not is_api_path(request.path) or view_attr(view_func, "api_public", False):
            return None
        header = request.headers.get("Authorization")
        try:
            resolved = authenticate_bearer(header, allow_tokens=not view_attr(view_func, "requires_key", False))
        except ApiError as error:
            request.api_auth_failed_key_id = connection_hint(header)
            request.api_error_code = error.code
            return error_response(error, request)
        request.api_scope = resolved.scope
        request.api_key = resolved.api_key
        credential_touch(api_key=resolved.api_key, connection=resolved.scope.connection, now=timezone.now())
        return None


class RateLimitMiddleware:
    """Counts each authenticated call against its connection's limit for the view's group."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        verdict = getattr(request, "rate_limit_verdict", None)
        if verdict is not None:
            group = request.rate_limit_group
            response["X-RateLimit-Limit"] = str(verdict.limit)
            response["X-RateLimit-Remaining"] = str(verdict.remaining)
            response["X-RateLimit-Reset"] = str(verdict.reset_at)
            response["RateLimit-Policy"] = f'"{group}";q={verdict.limit};w={verdict.window}'
            response["RateLimit"] = f'"{group}";r={verdict.remaining};t={verdict.retry_after}'
        deprecation = getattr(request, "api_deprecation", None)
        if deprecation:
            response["Deprecation"] = deprecation["deprecation"]
            response["Sunset"] = deprecation["sunset"]
            if deprecation.get("link"):
                response["Link"] = f'<{deprecation["link"]}>; rel="deprecation"'
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not is_api_path(request.path):
            return None
        request.api_deprecation = view_attr(view_func, "deprecation", None)
        scope = getattr(request, "api_scope", None)
        if scope is None or not settings.RATE_LIMIT_ENABLED:
            return None
        group = view_attr(view_func, "rate_limit_group", "standard")
        limit = scope.connection.rate_limit_for(group)
        verdict = ratelimit.hit(connection_id=scope.connection.pk, group=group, limit=limit)
        request.rate_limit_verdict = verdict
        request.rate_limit_group = group
        if not verdict.allowed:
            if verdict.is_first_refusal:
                # One policy event per connection, group and window, decided by the shared atomic counter.
                policy_event_record(
                    tenant=scope.tenant,
                    connection=scope.connection,
                    kind=PolicyEvent.Kind.RATE_LIMITED,
                    group=group,
                    limit=verdict.limit,
                )
            error = RateLimited(
                f"Rate limit of {verdict.limit} requests per minute for the '{group}' group reached.",
                retry_after=verdict.retry_after,
                code="rate_limited",
            )
            request.api_error_code = error.code
            return error_response(error, request)
        return None
