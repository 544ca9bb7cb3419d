"""Stable error codes of the fulfillment domain (raised by services, rendered by the one handler)."""

from __future__ import annotations

from config.api.errors import Conflict


class StockInvariantViolated(Conflict):
    """A stock change would make a number negative or allocate more than is on hand."""

    default_code = "insufficient_stock"
    default_message = "That change would make stock negative or allocate more than is on hand."
