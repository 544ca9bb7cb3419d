"""Fulfillment models, one module per area; import from here."""

from fulfillment.models.reference import Carrier, ShippingMethod, Warehouse

__all__ = ["Carrier", "ShippingMethod", "Warehouse"]
