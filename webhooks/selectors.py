"""Reads of webhook data, always for an explicit tenant and environment (or an endpoint already scoped)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from webhooks.models import Delivery, DeliveryAttempt, Event, WebhookEndpoint


def endpoints_for(tenant, environment: str) -> QuerySet[WebhookEndpoint]:
    """Every subscription of one tenant in one environment."""
    return WebhookEndpoint.objects.filter(tenant=tenant, environment=environment)


def endpoint_get(tenant, environment: str, public_id: str) -> WebhookEndpoint | None:
    return endpoints_for(tenant, environment).filter(public_id=public_id).first()


def deliveries_for(endpoint: WebhookEndpoint) -> QuerySet[Delivery]:
    """An endpoint's deliveries with their event type/id and attempts, in a fixed number of queries."""
    return (
        Delivery.objects.filter(endpoint=endpoint)
        .select_related("event", "endpoint")
        .defer("event__payload")
        .prefetch_related(Prefetch("attempt_log", queryset=DeliveryAttempt.objects.order_by("attempted_at", "id")))
    )


def events_for(tenant, environment: str, event_types: list[str] | None = None) -> QuerySet[Event]:
    """Every event of one environment, subscribed or not (GET /v1/events)."""
    queryset = Event.objects.filter(tenant=tenant, environment=environment)
    if event_types:
        queryset = queryset.filter(event_type__in=event_types)
    return queryset


def delivery_get(endpoint: WebhookEndpoint, public_id: str) -> Delivery | None:
    return Delivery.objects.filter(endpoint=endpoint, public_id=public_id).select_related("endpoint").first()
