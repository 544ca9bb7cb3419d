"""Inventory adjustments (blueprint §5b): GET /v1/inventory-adjustments and GET one. Staff record them in admin."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from config.api.fields import KeyField
from config.api.schema import PAGE_PARAMETERS, paginated
from config.api.views import ApiView
from fulfillment.models import AdjustmentReason
from fulfillment.presenters.adjustments import adjustment_data
from fulfillment.selectors.adjustments import adjustment_get, adjustment_list


class AdjustmentListFilters(serializers.Serializer):
    sku = KeyField(required=False)
    warehouse_id = KeyField(required=False)
    reason = serializers.ChoiceField(choices=AdjustmentReason.values, required=False)


class AdjustmentOut(serializers.Serializer):
    id = serializers.CharField()
    sku = serializers.CharField()
    warehouse_id = serializers.CharField()
    quantity_delta = serializers.IntegerField(help_text="Signed: negative = removed.")
    reason = serializers.ChoiceField(choices=AdjustmentReason.values)
    note = serializers.CharField(allow_null=True)
    adjusted_at = serializers.CharField()


LIST_PARAMETERS = [
    *PAGE_PARAMETERS,
    OpenApiParameter("sku", str, description="Only adjustments of this SKU."),
    OpenApiParameter("warehouse_id", str, description="Only adjustments at this warehouse."),
    OpenApiParameter("reason", str, enum=AdjustmentReason.values, description="Only adjustments with this reason."),
]


def render_adjustments(rows) -> list[dict]:
    return [adjustment_data(row) for row in rows]


class AdjustmentListView(ApiView):
    rate_limit_group = "high"

    @extend_schema(
        operation_id="inventory_adjustments_list",
        parameters=LIST_PARAMETERS,
        responses=paginated(AdjustmentOut, "InventoryAdjustmentList"),
    )
    def get(self, request):
        filters = self.validated(AdjustmentListFilters, data=request.query_params)
        queryset = adjustment_list(
            scope=self.scope,
            sku=filters.get("sku"),
            warehouse_id=filters.get("warehouse_id"),
            reason=filters.get("reason"),
        )
        return self.paginated(queryset, render_adjustments)


class AdjustmentDetailView(ApiView):
    rate_limit_group = "high"

    @extend_schema(operation_id="inventory_adjustments_get", responses=AdjustmentOut)
    def get(self, request, adjustment_id: str):
        return Response(adjustment_data(adjustment_get(scope=self.scope, public_id=adjustment_id)))


urlpatterns = [
    path("inventory-adjustments", AdjustmentListView.as_view(), name="inventory-adjustments"),
    path("inventory-adjustments/<str:adjustment_id>", AdjustmentDetailView.as_view(), name="inventory-adjustment"),
]
