"""Reads of customer returns, always within the caller's tenant and environment."""

from __future__ import annotations

from django.db.models import QuerySet

from config.api.errors import NotFound, ValidationFailed
from fulfillment.models import Return, ReturnStatus

RETURN_PREFETCH = ("items",)
RETURN_SELECT = ("warehouse", "order")


def return_list(*, scope, status: str | None = None) -> QuerySet[Return]:
    """The scope's returns, optionally of one status, ready for the keyset feed (fixed queries per page)."""
    queryset = Return.objects.for_scope(scope).select_related(*RETURN_SELECT).prefetch_related(*RETURN_PREFETCH)
    if status:
        if status not in ReturnStatus.values:
            raise ValidationFailed(
                f"status must be one of {', '.join(ReturnStatus.values)}.", code="invalid_choice", field="status"
            )
        queryset = queryset.filter(status=status)
    return queryset


def return_get(*, scope, public_id: str) -> Return:
    """One return of the scope by its `ret_…` id; another tenant's or environment's is a 404."""
    ret = (
        Return.objects.for_scope(scope)
        .select_related(*RETURN_SELECT)
        .prefetch_related(*RETURN_PREFETCH)
        .filter(public_id=public_id)
        .first()
    )
    if ret is None:
        raise NotFound(f"No return {public_id}.", code="return_not_found")
    return ret
