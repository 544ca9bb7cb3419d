"""GET /v1/me and POST /v1/auth/token: what the calling credential is, and the token exchange."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from config.api.renderers import format_datetime
from config.api.views import ApiView
from tenants import selectors, services


class MeOut(serializers.Serializer):
    tenant = inline_serializer("MeTenant", {"slug": serializers.CharField(), "name": serializers.CharField()})
    connection = inline_serializer(
        "MeConnection",
        {"id": serializers.CharField(), "name": serializers.CharField(), "created_at": serializers.CharField()},
    )
    environment = serializers.ChoiceField(choices=["live", "sandbox"])
    scope = serializers.ChoiceField(choices=["full", "read_only"])
    credential = inline_serializer(
        "MeCredential",
        {
            "kind": serializers.ChoiceField(choices=["key", "token"]),
            "expires_at": serializers.CharField(allow_null=True),
        },
    )
    rate_limits = serializers.DictField(
        child=inline_serializer(
            "MeRateLimit", {"limit": serializers.IntegerField(), "window_seconds": serializers.IntegerField()}
        )
    )
    policies = inline_serializer(
        "MePolicies",
        {
            "amend_allowed": serializers.BooleanField(),
            "cancel_allowed": serializers.BooleanField(),
            "inventory_full_poll_min_interval_seconds": serializers.IntegerField(),
            "key_unused_expiry_days": serializers.IntegerField(),
            "access_token_lifetime_seconds": serializers.IntegerField(),
        },
    )


class MeView(ApiView):
    rate_limit_group = "high"
    allowed_for_read_only = True

    @extend_schema(operation_id="me_retrieve", responses=MeOut)
    def get(self, request):
        scope = self.scope
        connection = scope.connection
        return Response(
            {
                "tenant": {"slug": scope.tenant.slug, "name": scope.tenant.name},
                "connection": {
                    "id": connection.public_id,
                    "name": connection.name,
                    "created_at": format_datetime(connection.created_at),
                },
                "environment": scope.environment,
                "scope": connection.scope,
                "credential": {
                    "kind": scope.credential_kind,
                    "expires_at": format_datetime(scope.credential_expires_at),
                },
                "rate_limits": {
                    group: {
                        "limit": connection.rate_limit_for(group),
                        "window_seconds": settings.RATE_LIMIT_WINDOW_SECONDS,
                    }
                    for group in settings.RATE_LIMIT_GROUPS
                },
                "policies": {
                    "amend_allowed": scope.tenant.api_amend_allowed,
                    "cancel_allowed": scope.tenant.api_cancel_allowed,
                    "inventory_full_poll_min_interval_seconds": int(
                        selectors.inventory_full_poll_interval(connection).total_seconds()
                    ),
                    "key_unused_expiry_days": settings.API_KEY_UNUSED_EXPIRY_DAYS,
                    "access_token_lifetime_seconds": int(settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
                },
            }
        )


class TokenOut(serializers.Serializer):
    access_token = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()
    expires_at = serializers.CharField()


class TokenView(ApiView):
    """Exchange an API key for a 60-minute access token (operator policy: mint every 50–55 min)."""

    rate_limit_group = "low"
    requires_key = True
    allowed_for_read_only = True

    @extend_schema(operation_id="auth_token_create", request=None, responses={200: TokenOut})
    def post(self, request):
        minted = services.access_token_mint(connection=self.scope.connection, api_key=request._request.api_key)
        return Response(
            {
                "access_token": minted.token,
                "token_type": "Bearer",
                "expires_in": minted.expires_in,
                "expires_at": format_datetime(minted.expires_at),
            }
        )
