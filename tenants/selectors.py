"""Reads about tenants and connections."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from tenants.models import ApiConnection, Environment


def inventory_full_poll_interval(connection: ApiConnection) -> timedelta:
    """Minimum time between full inventory scans for a connection (staff may approve a shorter one)."""
    if connection.inventory_full_poll_interval_seconds is not None:
        return timedelta(seconds=connection.inventory_full_poll_interval_seconds)
    if connection.environment == Environment.SANDBOX:
        return settings.INVENTORY_FULL_POLL_MIN_INTERVAL_SANDBOX
    return settings.INVENTORY_FULL_POLL_MIN_INTERVAL_LIVE
