"""Fulfillment models, one module per area; import from here."""

from fulfillment.models.adjustments import AdjustmentReason, InventoryAdjustment
from fulfillment.models.catalog import DimensionUnit, Product, WeightUnit
from fulfillment.models.idempotency import IdempotencyKey
from fulfillment.models.inbound import (
    InboundItem,
    InboundReceipt,
    InboundReceiptLine,
    InboundShipment,
    InboundStatus,
)
from fulfillment.models.orders import Order, OrderHistory, OrderLine, OrderStatus
from fulfillment.models.reference import Carrier, ShippingMethod, Warehouse
from fulfillment.models.returns import Return, ReturnCondition, ReturnItem, ReturnStatus
from fulfillment.models.shipments import Parcel, Shipment, ShipmentItem, ShipmentStatus
from fulfillment.models.stock import InventoryRecord, StockLevel, StockMovement

__all__ = [
    "Carrier",
    "DimensionUnit",
    "IdempotencyKey",
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
    "InboundItem",
    "InboundReceipt",
    "InboundReceiptLine",
    "InboundShipment",
    "InboundStatus",
    "AdjustmentReason",
    "InventoryAdjustment",
    "Return",
    "ReturnCondition",
    "ReturnItem",
    "ReturnStatus",
]
