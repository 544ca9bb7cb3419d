"""Reads of inbound shipments (ASNs), always within the caller's tenant and environment."""

from __future__ import annotations

from django.db.models import QuerySet

from config.api.errors import NotFound, ValidationFailed
from fulfillment.models import InboundShipment, InboundStatus

INBOUND_PREFETCH = ("items",)
INBOUND_SELECT = ("warehouse",)


def inbound_list(*, scope, status: str | None = None) -> QuerySet[InboundShipment]:
    """The scope's ASNs, optionally of one status, ready for the keyset feed (fixed queries per page)."""
    queryset = (
        InboundShipment.objects.for_scope(scope).select_related(*INBOUND_SELECT).prefetch_related(*INBOUND_PREFETCH)
    )
    if status:
        if status not in InboundStatus.values:
            raise ValidationFailed(
                f"status must be one of {', '.join(InboundStatus.values)}.", code="invalid_choice", field="status"
            )
        queryset = queryset.filter(status=status)
    return queryset


def inbound_get(*, scope, public_id: str) -> InboundShipment:
    """One ASN of the scope by its `ib_…` id; another tenant's or environment's is a 404."""
    inbound = (
        InboundShipment.objects.for_scope(scope)
        .select_related(*INBOUND_SELECT)
        .prefetch_related(*INBOUND_PREFETCH)
        .filter(public_id=public_id)
        .first()
    )
    if inbound is None:
        raise NotFound(f"No inbound shipment {public_id}.", code="inbound_not_found")
    return inbound
