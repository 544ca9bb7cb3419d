"""Webhook subscriptions (blueprint § Webhooks): /v1/webhooks and its sub-resources.

A subscription belongs to the calling key's tenant and environment: a sandbox
key's webhooks receive sandbox events only, a live key's live events only.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from config.api.errors import NotFound
from config.api.fields import LineField, UtcDateTimeField
from config.api.renderers import format_datetime
from config.api.schema import PAGE_PARAMETERS, paginated
from config.api.views import ApiView
from webhooks import selectors, services
from webhooks.models import EVENT_TYPES, Delivery
from webhooks.presenters import delivery_data, webhook_data

URL_HELP = "Where to POST events: https (required for live), public address."


class WebhookCreateIn(serializers.Serializer):
    url = LineField(max_length=2048, help_text=URL_HELP)
    events = serializers.ListField(
        child=LineField(max_length=40), allow_empty=False, max_length=50, help_text=f"Any of: {', '.join(EVENT_TYPES)}."
    )


class WebhookUpdateIn(serializers.Serializer):
    url = LineField(max_length=2048, required=False, help_text=URL_HELP)
    events = serializers.ListField(child=LineField(max_length=40), allow_empty=False, max_length=50, required=False)
    enabled = serializers.BooleanField(required=False)


class WebhookReplayIn(serializers.Serializer):
    since = UtcDateTimeField()
    until = UtcDateTimeField()
    events = serializers.ListField(
        child=LineField(max_length=40),
        allow_empty=False,
        max_length=50,
        required=False,
        help_text="Event types to replay; default: the webhook's subscription.",
    )


class WebhookOut(serializers.Serializer):
    id = serializers.CharField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    enabled = serializers.BooleanField()
    disabled_reason = serializers.CharField(allow_null=True)
    created_at = serializers.CharField()
    updated_at = serializers.CharField()


class WebhookCreatedOut(WebhookOut):
    secret = serializers.CharField(help_text="The signing secret (whsec_…). Shown only here; store it.")


class SecretOut(serializers.Serializer):
    id = serializers.CharField()
    secret = serializers.CharField(help_text="The new signing secret; the previous one stays valid for 24 h.")
    previous_secret_expires_at = serializers.CharField()


class AttemptOut(serializers.Serializer):
    attempted_at = serializers.CharField()
    status_code = serializers.IntegerField(allow_null=True)
    error = serializers.CharField(allow_null=True)
    latency_ms = serializers.IntegerField()
    response_excerpt = serializers.CharField(help_text="First 1 KB of the receiver's answer.")


class DeliveryOut(serializers.Serializer):
    id = serializers.CharField()
    webhook_id = serializers.CharField()
    event_id = serializers.CharField()
    event_type = serializers.CharField()
    status = serializers.ChoiceField(choices=Delivery.Status.values)
    attempt_count = serializers.IntegerField()
    next_attempt_at = serializers.CharField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    delivered_at = serializers.CharField(allow_null=True)
    created_at = serializers.CharField()
    updated_at = serializers.CharField()
    attempts = AttemptOut(many=True)


ReplayOut = inline_serializer(name="WebhookReplayResult", fields={"replayed": serializers.IntegerField()})

LIST_PARAMETERS = [
    *PAGE_PARAMETERS,
]


class WebhookView(ApiView):
    """Shared lookup: a webhook of the caller's tenant and environment, or 404."""

    def endpoint(self, webhook_id: str):
        endpoint = selectors.endpoint_get(self.scope.tenant, self.scope.environment, webhook_id)
        if endpoint is None:
            raise NotFound("No such webhook.", code="webhook_not_found")
        return endpoint


class WebhookListView(WebhookView):
    @extend_schema(
        operation_id="webhooks_list", parameters=LIST_PARAMETERS, responses=paginated(WebhookOut, "WebhookList")
    )
    def get(self, request):
        return self.paginated(
            selectors.endpoints_for(self.scope.tenant, self.scope.environment),
            lambda rows: [webhook_data(r) for r in rows],
        )

    @extend_schema(operation_id="webhooks_create", request=WebhookCreateIn, responses={201: WebhookCreatedOut})
    def post(self, request):
        data = self.validated(WebhookCreateIn)
        created = services.endpoint_create(
            tenant=self.scope.tenant,
            environment=self.scope.environment,
            url=data["url"],
            events=data["events"],
            actor_label=self.scope.actor_label,
        )
        return Response(webhook_data(created.endpoint, secret=created.secret), status=201)


class WebhookDetailView(WebhookView):
    @extend_schema(operation_id="webhooks_get", responses=WebhookOut)
    def get(self, request, webhook_id: str):
        return Response(webhook_data(self.endpoint(webhook_id)))

    @extend_schema(operation_id="webhooks_update", request=WebhookUpdateIn, responses=WebhookOut)
    def patch(self, request, webhook_id: str):
        endpoint = self.endpoint(webhook_id)
        data = self.validated(WebhookUpdateIn)
        endpoint = services.endpoint_update(
            endpoint=endpoint,
            url=data.get("url"),
            events=data.get("events"),
            enabled=data.get("enabled"),
            actor_label=self.scope.actor_label,
        )
        return Response(webhook_data(endpoint))

    @extend_schema(operation_id="webhooks_delete", request=None, responses={204: None})
    def delete(self, request, webhook_id: str):
        services.endpoint_delete(endpoint=self.endpoint(webhook_id), actor_label=self.scope.actor_label)
        return Response(status=204)


class WebhookRollSecretView(WebhookView):
    @extend_schema(operation_id="webhooks_roll_secret", request=None, responses=SecretOut)
    def post(self, request, webhook_id: str):
        endpoint = self.endpoint(webhook_id)
        secret = services.endpoint_roll_secret(endpoint=endpoint, actor_label=self.scope.actor_label)
        endpoint.refresh_from_db()
        return Response(
            {
                "id": endpoint.public_id,
                "secret": secret,
                "previous_secret_expires_at": format_datetime(endpoint.previous_secret_expires_at),
            }
        )


class WebhookDeliveriesView(WebhookView):
    @extend_schema(
        operation_id="webhooks_deliveries_list",
        parameters=LIST_PARAMETERS,
        responses=paginated(DeliveryOut, "WebhookDeliveryList"),
    )
    def get(self, request, webhook_id: str):
        endpoint = self.endpoint(webhook_id)
        return self.paginated(selectors.deliveries_for(endpoint), lambda rows: [delivery_data(r) for r in rows])


class WebhookTestView(WebhookView):
    @extend_schema(operation_id="webhooks_test", request=None, responses={202: DeliveryOut})
    def post(self, request, webhook_id: str):
        delivery = services.endpoint_send_test(endpoint=self.endpoint(webhook_id))
        return Response(delivery_data(selectors.deliveries_for(delivery.endpoint).get(pk=delivery.pk)), status=202)


class WebhookReplayView(WebhookView):
    @extend_schema(operation_id="webhooks_replay", request=WebhookReplayIn, responses={202: ReplayOut})
    def post(self, request, webhook_id: str):
        endpoint = self.endpoint(webhook_id)
        data = self.validated(WebhookReplayIn)
        count = services.events_replay(
            endpoint=endpoint, since=data["since"], until=data["until"], event_types=data.get("events")
        )
        return Response({"replayed": count}, status=202)


class DeliveryRedeliverView(WebhookView):
    @extend_schema(operation_id="webhooks_delivery_redeliver", request=None, responses={202: DeliveryOut})
    def post(self, request, webhook_id: str, delivery_id: str):
        endpoint = self.endpoint(webhook_id)
        delivery = selectors.delivery_get(endpoint, delivery_id)
        if delivery is None:
            raise NotFound("No such delivery.", code="delivery_not_found")
        services.delivery_redeliver(delivery=delivery)
        return Response(delivery_data(selectors.deliveries_for(endpoint).get(pk=delivery.pk)), status=202)


urlpatterns = [
    path("webhooks", WebhookListView.as_view(), name="webhooks"),
    path("webhooks/<str:webhook_id>", WebhookDetailView.as_view(), name="webhook"),
    path("webhooks/<str:webhook_id>/roll-secret", WebhookRollSecretView.as_view(), name="webhook-roll-secret"),
    path("webhooks/<str:webhook_id>/deliveries", WebhookDeliveriesView.as_view(), name="webhook-deliveries"),
    path(
        "webhooks/<str:webhook_id>/deliveries/<str:delivery_id>/redeliver",
        DeliveryRedeliverView.as_view(),
        name="webhook-delivery-redeliver",
    ),
    path("webhooks/<str:webhook_id>/test", WebhookTestView.as_view(), name="webhook-test"),
    path("webhooks/<str:webhook_id>/replay", WebhookReplayView.as_view(), name="webhook-replay"),
]
