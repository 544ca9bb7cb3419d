"""Dashboard: this month's bandwidth per connection, today's traffic, open notices."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone

from tenants.models import ApiConnection, Notice, PolicyEvent
from tenants.portal import usage_data
from tenants.portal.access import portal_view


def open_notices(portal):
    """Unresolved notices for this tenant that concern every environment or the active one."""
    return (
        Notice.objects.filter(tenant=portal.tenant, resolved_at__isnull=True)
        .filter(Q(environment="") | Q(environment=portal.environment))
        .order_by("-created_at")[:20]
    )


def policy_warnings(portal):
    """Policy deviations of the last 7 days in the active environment (token minted too often, polls refused…)."""
    since = timezone.now() - timedelta(days=7)
    return (
        PolicyEvent.objects.filter(tenant=portal.tenant, environment=portal.environment, created_at__gte=since)
        .exclude(kind__in=[PolicyEvent.Kind.SUSPENDED, PolicyEvent.Kind.UNSUSPENDED])
        .select_related("connection")
        .order_by("-created_at")[:5]
    )


@portal_view("dashboard.view")
def dashboard(request):
    portal = request.portal
    connections = ApiConnection.objects.filter(tenant=portal.tenant, environment=portal.environment)
    context = {
        "title": "Dashboard",
        "notices": open_notices(portal),
        "active_connections": connections.filter(status=ApiConnection.Status.ACTIVE).count(),
        "suspended_connections": connections.filter(status=ApiConnection.Status.SUSPENDED),
        "usage": usage_data.month_overview(portal),
        "today": usage_data.today(portal),
        "disabled_endpoints": usage_data.disabled_webhook_endpoints(portal),
        "policy_events": policy_warnings(portal),
    }
    return render(request, "portal/dashboard.html", context)
