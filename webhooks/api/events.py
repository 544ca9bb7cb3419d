"""GET /v1/events: the durable event log of the caller's environment, subscribed or not.

Each item is exactly the body a webhook delivery of that event carries, so an
integrator that lost deliveries can catch up from here (events are kept at
least WEBHOOK_EVENT_RETENTION_DAYS days).
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers

from config.api.errors import ValidationFailed
from config.api.schema import PAGE_PARAMETERS, paginated
from config.api.views import ApiView
from webhooks import selectors
from webhooks.models import EVENT_TYPES
from webhooks.presenters import event_data


class EventOut(serializers.Serializer):
    event_id = serializers.CharField()
    event_type = serializers.ChoiceField(choices=EVENT_TYPES)
    created_at = serializers.CharField()
    data = serializers.DictField(help_text="The full object, as its GET endpoint returned it when the event happened.")


LIST_PARAMETERS = [
    *PAGE_PARAMETERS,
    OpenApiParameter("type", str, description="Only these event types (comma-separated), e.g. shipment.created."),
]


def parse_types(raw: str | None) -> list[str] | None:
    if not raw:
        return None
    types = [t.strip() for t in raw.split(",") if t.strip()]
    for event_type in types:
        if event_type not in EVENT_TYPES:
            raise ValidationFailed(
                f"Unknown event type {event_type!r}. Known: {', '.join(EVENT_TYPES)}.",
                code="invalid_event_type",
                field="type",
            )
    return types


class EventListView(ApiView):
    rate_limit_group = "high"

    @extend_schema(operation_id="events_list", parameters=LIST_PARAMETERS, responses=paginated(EventOut, "EventList"))
    def get(self, request):
        types = parse_types(request.query_params.get("type"))
        return self.paginated(
            selectors.events_for(self.scope.tenant, self.scope.environment, types),
            lambda rows: [event_data(r) for r in rows],
        )


urlpatterns = [path("events", EventListView.as_view(), name="events")]
