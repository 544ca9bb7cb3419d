"""Adapters from billing's and webhooks' selectors to what the portal pages show.

Kept in one module so that the pages never guess at numbers: when a source
is missing, each function returns None and the page says so.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal

from django.utils import timezone

from tenants.models import Environment
from tenants.portal import sources
from tenants.portal.charts import human_bytes


def _billing():
    module = sources.billing_selectors()
    if not sources.has(module, "usage_month_by_connection", "usage_daily", "usage_by_endpoint_group", "usage_today"):
        return None
    return module


def _month_fraction(today: date) -> tuple[int, int]:
    """(days elapsed including today, days in month) — the projection's ratio."""
    return today.day, calendar.monthrange(today.year, today.month)[1]


def month_overview(portal, today: date | None = None):
    """This month's bandwidth per connection against the allowance, with projected overage; None if unavailable.

    The projection extends the month-to-date bytes at the same daily rate to the
    end of the month and prices the part above the included allowance with the
    tenant's plan (billing.services.overage_amount, the same arithmetic invoices use).
    """
    selectors = _billing()
    if selectors is None:
        return None
    from billing.services import overage_amount, plans_for

    today = today or timezone.now().date()
    rows = selectors.usage_month_by_connection(tenant=portal.tenant, environment=portal.environment, month=today)
    plan = plans_for([portal.tenant.pk])[portal.tenant.pk]
    elapsed, days_in_month = _month_fraction(today)
    out = []
    for row in rows:
        if not row["bytes_total"] and row["status"] == "revoked":
            continue
        projected = int(row["bytes_total"] * days_in_month / elapsed)
        included = row["included_bytes"]
        if included:
            _, cost = overage_amount(bytes_total=projected, included=included, price_per_gb=plan.overage_price_per_gb)
        else:
            cost = Decimal("0.00")
        percent = row["bytes_total"] * 100 / included if included else 0.0
        out.append(
            {
                **row,
                "public_id": row["connection_id"],
                "used_display": human_bytes(row["bytes_total"]),
                "projected_display": human_bytes(projected),
                "projected_bytes": projected,
                "percent": percent,
                "bar_percent": min(percent, 100),
                "overage_cost": cost if cost > 0 else None,
            }
        )
    return {
        "rows": out,
        "included_display": human_bytes(plan.included_bytes),
        "included_bytes": plan.included_bytes,
        "overage_price": plan.overage_price_per_gb,
        "currency": plan.currency,
        "billed": portal.environment == Environment.LIVE,
    }


def today(portal):
    """Requests, error rate and p95 latency today; None if unavailable."""
    selectors = _billing()
    if selectors is None:
        return None
    data = selectors.usage_today(tenant=portal.tenant, environment=portal.environment)
    errors = data["errors_4xx"] + data["errors_5xx"]
    return {
        **data,
        "errors": errors,
        "error_rate_display": f"{data['error_rate'] * 100:.1f}%" if data["requests"] else "—",
    }


def month_detail(portal, month: date):
    """Daily rows and endpoint groups for the usage page; None if unavailable."""
    selectors = _billing()
    if selectors is None:
        return None
    days = selectors.usage_daily(tenant=portal.tenant, environment=portal.environment, month=month)
    groups = selectors.usage_by_endpoint_group(tenant=portal.tenant, environment=portal.environment, month=month)
    connections = selectors.usage_month_by_connection(tenant=portal.tenant, environment=portal.environment, month=month)
    return {"days": days, "groups": groups, "connections": connections}


def request_log(portal, *, status=None, path_contains=None, request_id=None, limit=200):
    """Recent requests of the active tenant/environment; None if unavailable."""
    module = sources.billing_selectors()
    if not sources.has(module, "request_log"):
        return None
    return module.request_log(
        tenant=portal.tenant,
        environment=portal.environment,
        status=status,
        path_contains=path_contains,
        request_id=request_id,
        limit=limit,
    )


def disabled_webhook_endpoints(portal):
    """Endpoints that are disabled (the dispatcher gave up, or someone switched them off); [] if unavailable."""
    module = sources.webhook_selectors()
    if not sources.has(module, "endpoints_for"):
        return []
    return list(module.endpoints_for(portal.tenant, portal.environment).filter(enabled=False).order_by("-disabled_at"))
