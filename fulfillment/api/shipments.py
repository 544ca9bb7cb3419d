"""GET /v1/shipments (the key endpoint: updated_since, cursor, order_id, status) and GET /v1/shipments/{id}."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from config.api.errors import NotFound
from config.api.fields import KeyField
from config.api.schema import PAGE_PARAMETERS, paginated
from config.api.views import ApiView
from fulfillment.models import ShipmentStatus
from fulfillment.presenters.shipments import shipment_data
from fulfillment.selectors.shipments import shipment_get, shipments_for_scope


class ShipmentListFilters(serializers.Serializer):
    order_id = KeyField(required=False)
    status = serializers.ChoiceField(choices=ShipmentStatus.values, required=False)


class ShipmentCostOut(serializers.Serializer):
    amount = serializers.CharField()
    currency = serializers.CharField()


class ParcelWeightOut(serializers.Serializer):
    value = serializers.FloatField()
    unit = serializers.CharField()


class ParcelDimensionsOut(serializers.Serializer):
    length = serializers.FloatField()
    width = serializers.FloatField()
    height = serializers.FloatField()
    unit = serializers.CharField()


class ParcelOut(serializers.Serializer):
    tracking_number = serializers.CharField()
    tracking_url = serializers.CharField()
    carrier = serializers.CharField()
    service = serializers.CharField()
    weight = ParcelWeightOut(required=False)
    dimensions = ParcelDimensionsOut(required=False)


class ShipmentItemOut(serializers.Serializer):
    sku = serializers.CharField()
    quantity = serializers.IntegerField()


class ShipmentOut(serializers.Serializer):
    id = serializers.CharField()
    order_id = serializers.CharField()
    order_number = serializers.CharField()
    status = serializers.ChoiceField(choices=ShipmentStatus.values)
    warehouse_id = serializers.CharField()
    shipped_at = serializers.CharField()
    created_at = serializers.CharField()
    updated_at = serializers.CharField()
    cost = ShipmentCostOut(allow_null=True)
    voided = serializers.BooleanField()
    version = serializers.IntegerField(help_text="Moves on every change; keep the highest you have seen.")
    parcels = ParcelOut(many=True)
    items = ShipmentItemOut(many=True)


LIST_PARAMETERS = [
    *PAGE_PARAMETERS,
    OpenApiParameter("order_id", str, description="Only shipments of this order (ord_…)."),
    OpenApiParameter("status", str, enum=ShipmentStatus.values, description="Only shipments in this status."),
]


def render_shipments(rows) -> list[dict]:
    return [shipment_data(s) for s in rows]


class ShipmentListView(ApiView):
    rate_limit_group = "high"

    @extend_schema(
        operation_id="shipments_list", parameters=LIST_PARAMETERS, responses=paginated(ShipmentOut, "ShipmentList")
    )
    def get(self, request):
        filters = self.validated(ShipmentListFilters, data=request.query_params)
        queryset = shipments_for_scope(
            self.scope, order_public_id=filters.get("order_id"), status=filters.get("status")
        )
        return self.paginated(queryset, render_shipments)


class ShipmentDetailView(ApiView):
    rate_limit_group = "high"

    @extend_schema(operation_id="shipments_get", responses=ShipmentOut)
    def get(self, request, shipment_id: str):
        shipment = shipment_get(self.scope, shipment_id)
        if shipment is None:
            raise NotFound("No such shipment.", code="not_found", field="id")
        return Response(shipment_data(shipment))


urlpatterns = [
    path("shipments", ShipmentListView.as_view(), name="shipments"),
    path("shipments/<str:shipment_id>", ShipmentDetailView.as_view(), name="shipment"),
]
