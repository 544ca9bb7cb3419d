"""Routes of the fulfillment API: each resource module declares its own `urlpatterns`."""

from django.urls import path

from fulfillment.api import (
    adjustments,
    inbound,
    inventory,
    orders,
    products,
    returns,
    sandbox,
    sandbox_advanced,
    shipments,
)
from fulfillment.api.reference import ShippingMethodListView, WarehouseListView

urlpatterns = [
    path("warehouses", WarehouseListView.as_view(), name="warehouses"),
    path("shipping-methods", ShippingMethodListView.as_view(), name="shipping-methods"),
    *products.urlpatterns,
    *orders.urlpatterns,
    *shipments.urlpatterns,
    *inventory.urlpatterns,
    *sandbox.urlpatterns,
    *sandbox_advanced.urlpatterns,
    *inbound.urlpatterns,
    *adjustments.urlpatterns,
    *returns.urlpatterns,
]
