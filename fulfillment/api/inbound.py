"""Inbound shipments / ASNs (blueprint §5a): POST and GET /v1/inbound-shipments, GET one, POST …/cancel."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from config.api.fields import KeyField, LineField, PositiveQuantityField
from config.api.schema import PAGE_PARAMETERS, paginated
from config.api.views import ApiView
from fulfillment.idempotency import HEADER, idempotent
from fulfillment.models import InboundStatus
from fulfillment.presenters.inbound import inbound_data
from fulfillment.selectors.inbound import inbound_get, inbound_list
from fulfillment.services.inbound import InboundLineInput, inbound_cancel, inbound_create


class InboundItemIn(serializers.Serializer):
    sku = KeyField()
    expected_quantity = PositiveQuantityField()


class InboundCreateIn(serializers.Serializer):
    reference = KeyField()
    warehouse_id = KeyField()
    expected_at = serializers.DateField(required=False, allow_null=True, input_formats=["iso-8601"])
    supplier = LineField(required=False, allow_blank=True, allow_null=True, max_length=200)
    items = InboundItemIn(many=True, allow_empty=False, max_length=1000)


class InboundListFilters(serializers.Serializer):
    status = serializers.ChoiceField(choices=InboundStatus.values, required=False)


class InboundItemOut(serializers.Serializer):
    sku = serializers.CharField()
    expected_quantity = serializers.IntegerField()
    received_quantity = serializers.IntegerField()
    discrepancy = serializers.IntegerField(
        allow_null=True, help_text="received − expected (negative = short); null until something is received."
    )


class InboundOut(serializers.Serializer):
    id = serializers.CharField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=InboundStatus.values)
    version = serializers.IntegerField(help_text="Moves on every change; keep the highest you have seen.")
    received_at = serializers.CharField(allow_null=True)
    warehouse_id = serializers.CharField()
    expected_at = serializers.DateField(allow_null=True)
    supplier = serializers.CharField(allow_null=True)
    created_at = serializers.CharField()
    updated_at = serializers.CharField()
    items = InboundItemOut(many=True)


LIST_PARAMETERS = [
    *PAGE_PARAMETERS,
    OpenApiParameter("status", str, enum=InboundStatus.values, description="Only ASNs in this status."),
]
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER, str, location=OpenApiParameter.HEADER, description="Retry-safe key (a UUID); kept 24 h."
)


def render_inbound(rows) -> list[dict]:
    return [inbound_data(row) for row in rows]


class InboundListView(ApiView):
    rate_limit_group = "high"

    @extend_schema(
        operation_id="inbound_shipments_list",
        parameters=LIST_PARAMETERS,
        responses=paginated(InboundOut, "InboundShipmentList"),
    )
    def get(self, request):
        filters = self.validated(InboundListFilters, data=request.query_params)
        return self.paginated(inbound_list(scope=self.scope, status=filters.get("status")), render_inbound)

    @extend_schema(
        operation_id="inbound_shipments_create",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=InboundCreateIn,
        responses={201: InboundOut, 200: InboundOut},
    )
    def post(self, request):
        data = self.validated(InboundCreateIn)
        scope = self.scope

        def produce():
            inbound, created = inbound_create(
                tenant=scope.tenant,
                environment=scope.environment,
                reference=data["reference"],
                warehouse_id=data["warehouse_id"],
                expected_at=data.get("expected_at"),
                supplier=data.get("supplier") or "",
                items=[InboundLineInput(sku=i["sku"], expected_quantity=i["expected_quantity"]) for i in data["items"]],
                connection=scope.connection,
                actor=scope.actor_label,
            )
            return (201 if created else 200), inbound_data(inbound_get(scope=scope, public_id=inbound.public_id))

        result = idempotent(
            tenant=scope.tenant,
            environment=scope.environment,
            endpoint="inbound_shipments.create",
            key=request.headers.get(HEADER),
            body=request.data,
            produce=produce,
            replay=lambda status, body: (status, inbound_data(inbound_get(scope=scope, public_id=body["id"]))),
        )
        return Response(result.body, status=result.status, headers=result.headers)


class InboundDetailView(ApiView):
    rate_limit_group = "high"

    @extend_schema(operation_id="inbound_shipments_get", responses=InboundOut)
    def get(self, request, inbound_id: str):
        return Response(inbound_data(inbound_get(scope=self.scope, public_id=inbound_id)))


class InboundCancelView(ApiView):
    rate_limit_group = "standard"

    @extend_schema(operation_id="inbound_shipments_cancel", request=None, responses=InboundOut)
    def post(self, request, inbound_id: str):
        inbound = inbound_get(scope=self.scope, public_id=inbound_id)
        inbound_cancel(
            tenant=self.scope.tenant, environment=self.scope.environment, inbound=inbound, actor=self.scope.actor_label
        )
        return Response(inbound_data(inbound_get(scope=self.scope, public_id=inbound_id)))


urlpatterns = [
    path("inbound-shipments", InboundListView.as_view(), name="inbound-shipments"),
    path("inbound-shipments/<str:inbound_id>", InboundDetailView.as_view(), name="inbound-shipment"),
    path("inbound-shipments/<str:inbound_id>/cancel", InboundCancelView.as_view(), name="inbound-shipment-cancel"),
]
