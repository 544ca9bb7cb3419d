"""Routes of the webhooks API: subscriptions and the event log."""

from webhooks.api import events, webhooks

urlpatterns = [*webhooks.urlpatterns, *events.urlpatterns]
