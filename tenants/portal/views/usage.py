"""Usage: daily bandwidth against the allowance, requests/errors per day, endpoint groups; the request log."""

from __future__ import annotations

import calendar
import re
from datetime import date

from django.shortcuts import render
from django.utils import timezone

from tenants.models import ApiConnection
from tenants.portal import charts, usage_data
from tenants.portal.access import portal_view
from tenants.portal.views.common import clean_query

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_STATUS = re.compile(r"^([1-5]xx|[1-5]\d\d)$")


def _month_param(value: str | None, today: date) -> date:
    match = _MONTH.match(value or "")
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        if 1 <= month <= 12 and (year, month) <= (today.year, today.month) and year >= 2000:
            return date(year, month, 1)
    return today.replace(day=1)


def _previous_months(today: date, count: int = 12) -> list[date]:
    months, year, month = [], today.year, today.month
    for _ in range(count):
        months.append(date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return months


@portal_view("usage.view")
def usage(request):
    portal = request.portal
    today = timezone.now().date()
    month = _month_param(request.GET.get("month"), today)
    detail = usage_data.month_detail(portal, month)
    context = {"title": "Usage", "available": detail is not None, "month": month, "months": _previous_months(today)}
    if detail is not None:
        days_in_month = calendar.monthrange(month.year, month.month)[1]
        allowance = sum(c["included_bytes"] for c in detail["connections"] if c["status"] != "revoked")
        days = detail["days"]
        cumulative = 0
        table = []
        for d in days:
            cumulative += d["bytes_total"]
            table.append({**d, "cumulative": cumulative, "errors": d["errors_4xx"] + d["errors_5xx"]})
        totals = {f: sum(d[f] for d in days) for f in ("requests", "errors_4xx", "errors_5xx", "bytes_in", "bytes_out")}
        totals["bytes_total"] = totals["bytes_in"] + totals["bytes_out"]
        context.update(
            {
                "bandwidth": charts.bandwidth_chart(
                    [(d["day"], d["bytes_total"]) for d in days], allowance=allowance, days_in_month=days_in_month
                ),
                "requests_chart": charts.requests_chart(days, days_in_month=days_in_month),
                "days": table,
                "totals": totals,
                "groups": detail["groups"],
                "connections": detail["connections"],
                "allowance": allowance,
            }
        )
    return render(request, "portal/usage/usage.html", context)


@portal_view("logs.view")
def request_log(request):
    portal = request.portal
    status = clean_query(request.GET.get("status"), 3).lower()
    path = clean_query(request.GET.get("path"), 200)
    request_id = clean_query(request.GET.get("request_id"), 128)
    status_error = bool(status) and not _STATUS.match(status)
    entries = None
    if not status_error:
        entries = usage_data.request_log(
            portal, status=status or None, path_contains=path or None, request_id=request_id or None
        )
    return render(
        request,
        "portal/usage/requests.html",
        {
            "title": "Request log",
            "available": status_error or entries is not None,
            "entries": entries or [],
            "status": status,
            "path": path,
            "request_id": request_id,
            "status_error": status_error,
            "filtered": bool(status or path or request_id),
            "names": dict(
                ApiConnection.objects.filter(tenant=portal.tenant, environment=portal.environment).values_list(
                    "public_id", "name"
                )
            ),
        },
    )
