"""Staff admin for webhooks: endpoints (enable/disable), events, deliveries with their attempts (redeliver).

Actions call services; secrets are never shown.
"""

from __future__ import annotations

from django.contrib import admin, messages

from config.api.errors import ApiError
from webhooks import services
from webhooks.models import Delivery, DeliveryAttempt, Event, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("public_id", "tenant", "environment", "url", "enabled", "failing_since", "created_at")
    list_filter = ("environment", "enabled")
    search_fields = ("public_id", "url", "tenant__slug")
    readonly_fields = (
        "public_id",
        "tenant",
        "environment",
        "url",
        "events",
        "enabled",
        "disabled_reason",
        "disabled_at",
        "failing_since",
        "previous_secret_expires_at",
        "created_at",
        "updated_at",
    )
    exclude = ("secret_encrypted", "previous_secret_encrypted")
    actions = ("enable", "disable")

    def has_add_permission(self, request):
        return False

    @admin.action(description="Enable selected webhooks")
    def enable(self, request, queryset):
        for endpoint in queryset:
            services.endpoint_enable(endpoint=endpoint)
        self.message_user(request, f"Enabled {queryset.count()} webhook(s).")

    @admin.action(description="Disable selected webhooks")
    def disable(self, request, queryset):
        for endpoint in queryset:
            services.endpoint_disable(endpoint=endpoint, reason=f"Disabled by staff ({request.user}).", notify=False)
        self.message_user(request, f"Disabled {queryset.count()} webhook(s).")


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("public_id", "tenant", "environment", "event_type", "created_at")
    list_filter = ("environment", "event_type")
    search_fields = ("public_id", "tenant__slug")
    readonly_fields = ("public_id", "tenant", "environment", "event_type", "payload", "created_at")
    exclude = ("change_seq",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ("attempted_at", "status_code", "error", "latency_ms", "response_excerpt", "succeeded")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("public_id", "event", "endpoint", "status", "attempts", "last_status_code", "next_attempt_at")
    list_filter = ("status",)
    search_fields = ("public_id", "event__public_id", "endpoint__public_id")
    list_select_related = ("event", "endpoint")
    readonly_fields = (
        "public_id",
        "event",
        "endpoint",
        "status",
        "attempts",
        "next_attempt_at",
        "retry_until",
        "last_status_code",
        "last_error",
        "delivered_at",
        "created_at",
    )
    exclude = ("claim_token", "change_seq")
    inlines = (DeliveryAttemptInline,)
    actions = ("redeliver",)

    def has_add_permission(self, request):
        return False

    @admin.action(description="Redeliver selected deliveries")
    def redeliver(self, request, queryset):
        done = 0
        for delivery in queryset.select_related("endpoint"):
            try:
                services.delivery_redeliver(delivery=delivery)
                done += 1
            except ApiError as exc:
                self.message_user(request, f"{delivery.public_id}: {exc.message}", level=messages.WARNING)
        self.message_user(request, f"Queued {done} redelivery(ies).")
