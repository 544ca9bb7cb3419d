"""The sandbox simulator under /v1/sandbox: ship, advance a shipment, start picking, set stock.

Only sandbox credentials reach these endpoints; for a live credential every
route answers exactly like a path that does not exist (404 route_not_found),
so production does not even reveal that the simulator is there.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from config.api.errors import NotFound
from config.api.fields import KeyField, PositiveQuantityField
from config.api.views import ApiView
from fulfillment.api.inventory import InventoryOut
from fulfillment.api.shipments import ShipmentOut
from fulfillment.models import Order, Shipment
from fulfillment.presenters.inventory import inventory_data
from fulfillment.presenters.shipments import shipment_data
from fulfillment.selectors.inventory import inventory_for_scope
from fulfillment.services import sandbox as simulator
from fulfillment.services.shipments import ShipItemSpec


class SandboxView(ApiView):
    """Base of every simulator view: to a live scope it does not exist (404 route_not_found).

    Subclass it for any /v1/sandbox/… endpoint. The check runs before DRF's own
    permission checks, so not even a 403 (e.g. for a read-only live key) reveals
    that the route exists.
    """

    rate_limit_group = "standard"

    def initial(self, request, *args, **kwargs):
        scope = self.scope
        if scope is not None and not scope.is_sandbox:
            raise NotFound(f"No endpoint at {request.method} {request.path}.", code="route_not_found")
        super().initial(request, *args, **kwargs)

    def order_or_404(self, order_id: str) -> Order:
        order = Order.objects.for_scope(self.scope).filter(public_id=order_id).first()
        if order is None:
            raise NotFound("No such order.", code="not_found", field="id")
        return order


class ShipItemIn(serializers.Serializer):
    sku = KeyField()
    quantity = PositiveQuantityField()


class SandboxShipIn(serializers.Serializer):
    parcels = serializers.IntegerField(required=False, min_value=1, max_value=simulator.MAX_PARCELS, default=1)
    items = ShipItemIn(many=True, required=False, allow_empty=False)


class SandboxInventoryIn(serializers.Serializer):
    sku = KeyField()
    warehouse_id = KeyField()
    on_hand = serializers.IntegerField(min_value=0, max_value=1_000_000_000)


class OrderStatusOut(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.CharField()


class SandboxShipView(SandboxView):
    @extend_schema(operation_id="sandbox_order_ship", request=SandboxShipIn, responses={201: ShipmentOut})
    def post(self, request, order_id: str):
        data = self.validated(SandboxShipIn)
        order = self.order_or_404(order_id)
        items = data.get("items")
        shipment = simulator.sandbox_order_ship(
            tenant=self.scope.tenant,
            environment=self.scope.environment,
            order_id=order.pk,
            parcels=data["parcels"],
            items=[ShipItemSpec(sku=i["sku"], quantity=i["quantity"]) for i in items] if items else None,
            actor_label=self.scope.actor_label,
        )
        return Response(shipment_data(shipment), status=201)


class SandboxAdvanceView(SandboxView):
    @extend_schema(operation_id="sandbox_shipment_advance", request=None, responses=ShipmentOut)
    def post(self, request, shipment_id: str):
        shipment = Shipment.objects.for_scope(self.scope).filter(public_id=shipment_id).first()
        if shipment is None:
            raise NotFound("No such shipment.", code="not_found", field="id")
        shipment = simulator.sandbox_shipment_advance(
            tenant=self.scope.tenant,
            environment=self.scope.environment,
            shipment_id=shipment.pk,
            actor_label=self.scope.actor_label,
        )
        return Response(shipment_data(shipment))


class SandboxStartPickingView(SandboxView):
    @extend_schema(operation_id="sandbox_order_start_picking", request=None, responses=OrderStatusOut)
    def post(self, request, order_id: str):
        order = self.order_or_404(order_id)
        order = simulator.sandbox_order_start_picking(
            tenant=self.scope.tenant,
            environment=self.scope.environment,
            order_id=order.pk,
            actor_label=self.scope.actor_label,
        )
        return Response({"id": order.public_id, "status": order.status})


class SandboxInventoryView(SandboxView):
    @extend_schema(operation_id="sandbox_inventory_set", request=SandboxInventoryIn, responses=InventoryOut)
    def post(self, request):
        data = self.validated(SandboxInventoryIn)
        simulator.sandbox_inventory_set(
            tenant=self.scope.tenant,
            environment=self.scope.environment,
            sku=data["sku"],
            warehouse_public_id=data["warehouse_id"],
            on_hand=data["on_hand"],
            actor_label=self.scope.actor_label,
        )
        return Response(inventory_data(inventory_for_scope(self.scope, sku=data["sku"]).get()))


urlpatterns = [
    path("sandbox/orders/<str:order_id>/ship", SandboxShipView.as_view(), name="sandbox-order-ship"),
    path(
        "sandbox/orders/<str:order_id>/start-picking", SandboxStartPickingView.as_view(), name="sandbox-start-picking"
    ),
    path("sandbox/shipments/<str:shipment_id>/advance", SandboxAdvanceView.as_view(), name="sandbox-advance"),
    path("sandbox/inventory", SandboxInventoryView.as_view(), name="sandbox-inventory"),
]
