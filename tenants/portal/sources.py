"""The portal's optional data sources: billing and webhooks land in parallel.

A page whose source is missing renders an honest "not available yet" state
instead of invented numbers.
"""

from __future__ import annotations

import importlib


def optional_module(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def billing_selectors():
    return optional_module("billing.selectors")


def webhook_selectors():
    return optional_module("webhooks.selectors")


def webhook_services():
    module = optional_module("webhooks.services")
    return module if module is not None and hasattr(module, "endpoint_create") else None


def has(module, *names: str) -> bool:
    return module is not None and all(hasattr(module, n) for n in names)
