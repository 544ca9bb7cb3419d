"""Staff admin for fulfillment, one module per area. Admin actions call services."""

from fulfillment.admin import advanced, orders, reference, shipments  # noqa: F401
