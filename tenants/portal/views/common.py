"""Small helpers shared by the portal views."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import QueryDict


def paginate(request, queryset, per_page: int = 50):
    """A page of `queryset` for ?page=N, plus the query string to keep filters in the pager links."""
    page = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    params: QueryDict = request.GET.copy()
    params.pop("page", None)
    return page, params.urlencode()


def no_store(response):
    """Pages that show a secret once must not be cached by the browser or a proxy."""
    response["Cache-Control"] = "no-store, private"
    response["Pragma"] = "no-cache"
    return response


def clean_query(value: str | None, max_length: int = 100) -> str:
    """A search box value: trimmed, single line, bounded."""
    value = (value or "").strip()
    return "".join(c for c in value if c.isprintable())[:max_length]
