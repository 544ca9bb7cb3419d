"""Staff admin for tenants, connections, policy events and audit logs. Actions call services."""

from __future__ import annotations

from django.contrib import admin, messages

from tenants import services
from tenants.models import ApiConnection, ApiKey, AuditLogEntry, Membership, Notice, PolicyEvent, Tenant


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "status", "api_amend_allowed", "api_cancel_allowed", "created_at"]
    list_filter = ["status", "api_amend_allowed", "api_cancel_allowed"]
    search_fields = ["slug", "name"]
    filter_horizontal = ["allowed_warehouses"]
    readonly_fields = ["status", "suspended_reason", "uuid", "created_at", "updated_at"]
    inlines = [MembershipInline]
    actions = ["suspend", "unsuspend"]

    @admin.action(description="Suspend API access for the selected tenants")
    def suspend(self, request, queryset):
        for tenant in queryset:
            services.tenant_set_suspended(
                tenant=tenant, suspended=True, reason="Suspended by staff", actor_user=request.user
            )
        self.message_user(request, f"Suspended {queryset.count()} tenant(s).", messages.SUCCESS)

    @admin.action(description="Lift suspension for the selected tenants")
    def unsuspend(self, request, queryset):
        for tenant in queryset:
            services.tenant_set_suspended(tenant=tenant, suspended=False, actor_user=request.user)
        self.message_user(request, f"Restored {queryset.count()} tenant(s).", messages.SUCCESS)


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    can_delete = False
    fields = ["display_prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ApiConnection)
class ApiConnectionAdmin(admin.ModelAdmin):
    list_display = ["public_id", "name", "tenant", "environment", "status", "scope", "last_used_at", "created_at"]
    list_filter = ["environment", "status", "scope"]
    search_fields = ["public_id", "name", "tenant__slug"]
    readonly_fields = [
        "public_id",
        "tenant",
        "environment",
        "status",
        "suspended_reason",
        "last_used_at",
        "last_token_minted_at",
        "last_full_inventory_poll_at",
        "revoked_at",
        "suspended_at",
        "created_at",
    ]
    fields = [
        "public_id",
        "tenant",
        "environment",
        "name",
        "scope",
        "status",
        "suspended_reason",
        ("rate_limit_standard", "rate_limit_high", "rate_limit_low"),
        "inventory_full_poll_interval_seconds",
        "last_used_at",
        "last_token_minted_at",
        "last_full_inventory_poll_at",
        "revoked_at",
        "suspended_at",
        "created_at",
    ]
    inlines = [ApiKeyInline]
    actions = ["suspend", "unsuspend", "revoke"]

    def has_add_permission(self, request):
        return False  # connections are created with their key shown once: portal or create_api_key

    @admin.action(description="Suspend the selected connections")
    def suspend(self, request, queryset):
        for connection in queryset.exclude(status=ApiConnection.Status.REVOKED):
            services.connection_set_suspended(
                connection=connection, suspended=True, reason="Suspended by staff", actor_user=request.user
            )
        self.message_user(request, "Suspended.", messages.SUCCESS)

    @admin.action(description="Lift suspension for the selected connections")
    def unsuspend(self, request, queryset):
        for connection in queryset.exclude(status=ApiConnection.Status.REVOKED):
            services.connection_set_suspended(connection=connection, suspended=False, actor_user=request.user)
        self.message_user(request, "Restored.", messages.SUCCESS)

    @admin.action(description="Revoke the selected connections (cannot be undone)")
    def revoke(self, request, queryset):
        for connection in queryset:
            services.connection_revoke(connection=connection, actor_user=request.user)
        self.message_user(request, "Revoked.", messages.SUCCESS)


@admin.register(PolicyEvent)
class PolicyEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "tenant", "connection", "environment", "kind"]
    list_filter = ["kind", "environment"]
    search_fields = ["tenant__slug", "connection__public_id"]
    readonly_fields = ["tenant", "connection", "environment", "kind", "detail", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "tenant", "action", "target", "actor_label"]
    list_filter = ["action"]
    search_fields = ["tenant__slug", "target"]
    readonly_fields = ["tenant", "actor_user", "actor_label", "action", "target", "detail", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["created_at", "tenant", "kind", "level", "message", "resolved_at"]
    list_filter = ["kind", "level"]
