"""Reads of shipments, always within the caller's scope."""

from __future__ import annotations

from django.db.models import QuerySet

from fulfillment.models import Shipment
from fulfillment.presenters.shipments import SHIPMENT_PREFETCH, SHIPMENT_SELECT


def shipments_for_scope(scope, *, order_public_id: str | None = None, status: str | None = None) -> QuerySet[Shipment]:
    """The shipments feed: the scope's shipments, optionally of one order or in one status, ready to present."""
    queryset = Shipment.objects.for_scope(scope).select_related(*SHIPMENT_SELECT).prefetch_related(*SHIPMENT_PREFETCH)
    if order_public_id is not None:
        queryset = queryset.filter(order__public_id=order_public_id)
    if status is not None:
        queryset = queryset.filter(status=status)
    return queryset


def shipment_get(scope, public_id: str) -> Shipment | None:
    """One shipment of the scope by its public id, or None (another tenant's or environment's is None too)."""
    return shipments_for_scope(scope).filter(public_id=public_id).first()
