"""Reads of orders, always through the caller's scope."""

from __future__ import annotations

from django.db.models import QuerySet

from config.api.errors import NotFound
from fulfillment.models import Order
from fulfillment.presenters.orders import ORDER_SELECT, order_prefetch


def orders_for_presenter() -> QuerySet[Order]:
    """Orders with everything `order_data` reads, in a fixed number of queries."""
    return Order.objects.select_related(*ORDER_SELECT).prefetch_related(*order_prefetch())


def order_list(
    *, scope, status: str | None = None, order_number: str | None = None, reference: str | None = None
) -> QuerySet[Order]:
    """The caller's orders, filtered; pagination orders them by change position."""
    queryset = orders_for_presenter().for_scope(scope)
    if status:
        queryset = queryset.filter(status=status)
    if order_number:
        queryset = queryset.filter(order_number=order_number)
    if reference:
        queryset = queryset.filter(reference=reference)
    return queryset


def order_get(*, scope, order_id: str) -> Order:
    """One of the caller's orders by its public id, or 404 (also for another tenant's or environment's)."""
    order = orders_for_presenter().for_scope(scope).filter(public_id=order_id).first()
    if order is None:
        raise NotFound(f"No order with id '{order_id}'.")
    return order


def order_reload(order_pk: int) -> Order:
    """A fresh copy of an order with everything the presenter needs (after a change, for answers and events)."""
    return orders_for_presenter().get(pk=order_pk)
