"""Customer returns / RMAs (blueprint §5c): POST and GET /v1/returns, GET /v1/returns/{id}."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from config.api.fields import KeyField, PositiveQuantityField
from config.api.schema import PAGE_PARAMETERS, paginated
from config.api.views import ApiView
from fulfillment.idempotency import HEADER, idempotent
from fulfillment.models import ReturnCondition, ReturnStatus
from fulfillment.presenters.returns import return_data
from fulfillment.selectors.returns import return_get, return_list
from fulfillment.services.returns import ReturnLineInput, return_create


class ReturnItemIn(serializers.Serializer):
    sku = KeyField()
    quantity = PositiveQuantityField()


class ReturnCreateIn(serializers.Serializer):
    rma = KeyField(required=False, allow_null=True)
    order_id = KeyField(required=False, allow_null=True)
    order_number = KeyField(required=False, allow_null=True)
    warehouse_id = KeyField(required=False, allow_null=True)
    items = ReturnItemIn(many=True, allow_empty=False, max_length=1000)


class ReturnListFilters(serializers.Serializer):
    status = serializers.ChoiceField(choices=ReturnStatus.values, required=False)


class ReturnItemOut(serializers.Serializer):
    sku = serializers.CharField()
    quantity = serializers.IntegerField(help_text="Units received; before receipt, the authorised quantity.")
    condition = serializers.ChoiceField(choices=ReturnCondition.values, allow_null=True)
    restocked = serializers.BooleanField()
    expected_quantity = serializers.IntegerField(help_text="Units the RMA authorised (0 if unannounced).")


class ReturnOut(serializers.Serializer):
    id = serializers.CharField()
    order_id = serializers.CharField(allow_null=True)
    order_number = serializers.CharField(allow_null=True)
    rma = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=ReturnStatus.values)
    version = serializers.IntegerField(help_text="Moves on every change; keep the highest you have seen.")
    received_at = serializers.CharField(allow_null=True)
    processed_at = serializers.CharField(allow_null=True)
    warehouse_id = serializers.CharField()
    created_at = serializers.CharField()
    updated_at = serializers.CharField()
    items = ReturnItemOut(many=True)


LIST_PARAMETERS = [
    *PAGE_PARAMETERS,
    OpenApiParameter("status", str, enum=ReturnStatus.values, description="Only returns in this status."),
]
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER, str, location=OpenApiParameter.HEADER, description="Retry-safe key (a UUID); kept 24 h."
)


def render_returns(rows) -> list[dict]:
    return [return_data(row) for row in rows]


class ReturnListView(ApiView):
    rate_limit_group = "high"

    @extend_schema(
        operation_id="returns_list", parameters=LIST_PARAMETERS, responses=paginated(ReturnOut, "ReturnList")
    )
    def get(self, request):
        filters = self.validated(ReturnListFilters, data=request.query_params)
        return self.paginated(return_list(scope=self.scope, status=filters.get("status")), render_returns)

    @extend_schema(
        operation_id="returns_create",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=ReturnCreateIn,
        responses={201: ReturnOut, 200: ReturnOut},
    )
    def post(self, request):
        data = self.validated(ReturnCreateIn)
        scope = self.scope

        def produce():
            ret, created = return_create(
                tenant=scope.tenant,
                environment=scope.environment,
                rma=data.get("rma"),
                order_id=data.get("order_id"),
                order_number=data.get("order_number"),
                warehouse_id=data.get("warehouse_id"),
                items=[ReturnLineInput(sku=i["sku"], quantity=i["quantity"]) for i in data["items"]],
                connection=scope.connection,
            )
            return (201 if created else 200), return_data(return_get(scope=scope, public_id=ret.public_id))

        result = idempotent(
            tenant=scope.tenant,
            environment=scope.environment,
            endpoint="returns.create",
            key=request.headers.get(HEADER),
            body=request.data,
            produce=produce,
            replay=lambda status, body: (status, return_data(return_get(scope=scope, public_id=body["id"]))),
        )
        return Response(result.body, status=result.status, headers=result.headers)


class ReturnDetailView(ApiView):
    rate_limit_group = "high"

    @extend_schema(operation_id="returns_get", responses=ReturnOut)
    def get(self, request, return_id: str):
        return Response(return_data(return_get(scope=self.scope, public_id=return_id)))


urlpatterns = [
    path("returns", ReturnListView.as_view(), name="returns"),
    path("returns/<str:return_id>", ReturnDetailView.as_view(), name="return"),
]
