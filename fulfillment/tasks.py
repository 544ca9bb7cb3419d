"""Celery tasks of the fulfillment app. Thin: take ids or nothing, call a service."""

from __future__ import annotations

from celery import shared_task

from fulfillment.services.sandbox import sandbox_auto_ship_due


@shared_task(name="fulfillment.sandbox_auto_ship_sweep", ignore_result=True)
def sandbox_auto_ship_sweep() -> int:
    """Ship sandbox orders whose tenant's auto-ship delay has passed (periodic; safe to overlap or repeat)."""
    return len(sandbox_auto_ship_due())


@shared_task(name="fulfillment.idempotency_keys_purge", ignore_result=True)
def idempotency_keys_purge() -> int:
    """Delete Idempotency-Keys past their 24 h retention (periodic)."""
    from fulfillment.idempotency import idempotency_keys_purge as purge

    return purge()
