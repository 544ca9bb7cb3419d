"""Fulfillment models, one module per area; import from here."""

from fulfillment.models.catalog import DimensionUnit, Product, WeightUnit
from fulfillment.models.orders import Order, OrderHistory, OrderLine, OrderStatus
from fulfillment.models.reference import Carrier, ShippingMethod, Warehouse
from fulfillment.models.shipments import Parcel, Shipment, ShipmentItem, ShipmentStatus
from fulfillment.models.stock import InventoryRecord, StockLevel, StockMovement

__all__ = [
    "Carrier",
    "DimensionUnit",
    "InventoryRecord",
    "Order",
    "OrderHistory",
    "OrderLine",
    "OrderStatus",
    "Parcel",
    "Product",
    "Shipment",
    "ShipmentItem",
    "ShipmentStatus",
    "ShippingMethod",
    "StockLevel",
    "StockMovement",
    "Warehouse",
    "WeightUnit",
]
