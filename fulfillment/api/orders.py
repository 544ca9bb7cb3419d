"""/v1/orders (blueprint §1): idempotent create, read, list, amend before pick, cancel."""

from __future__ import annotations

from django.core.validators import EmailValidator
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from config.api.errors import ValidationFailed
from config.api.fields import (
    CountryField,
    CurrencyField,
    KeyField,
    LineField,
    PositiveQuantityField,
    UtcDateTimeField,
)
from config.api.schema import PAGE_PARAMETERS, paginated
from config.api.views import ApiView
from fulfillment.api.products import AmountField
from fulfillment.api.shipments import ShipmentOut
from fulfillment.idempotency import HEADER as IDEMPOTENCY_HEADER
from fulfillment.idempotency import idempotent
from fulfillment.models import OrderStatus
from fulfillment.presenters.orders import order_data, order_etag
from fulfillment.selectors.orders import order_get, order_list
from fulfillment.services.orders import order_amend, order_api_policy_check, order_cancel, order_create


def _optional_line(max_length: int):
    return LineField(max_length=max_length, required=False, allow_null=True, allow_blank=True)


class EmailField(LineField):
    """An email address; a malformed one is 422 invalid_email."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)
        self.validators.append(
            EmailValidator(message="Must be an email address such as jane@example.com.", code="invalid_email")
        )


class ShipToIn(serializers.Serializer):
    name = LineField(max_length=200)
    company = _optional_line(200)
    email = EmailField(required=False, allow_null=True)
    phone = _optional_line(50)
    address1 = LineField(max_length=200)
    address2 = _optional_line(200)
    city = LineField(max_length=100)
    state = _optional_line(100)
    postcode = _optional_line(20)
    country = CountryField()


class ShipToPatchIn(ShipToIn):
    """On PATCH the address fields sent replace the stored ones; required ones may not be emptied."""

    name = LineField(max_length=200, required=False)
    address1 = LineField(max_length=200, required=False)
    city = LineField(max_length=100, required=False)
    country = CountryField(required=False)


class ItemIn(serializers.Serializer):
    sku = KeyField()
    description = _optional_line(300)
    quantity = PositiveQuantityField()
    unit_price = AmountField(required=False, allow_null=True)
    currency = CurrencyField(required=False, allow_null=True)

    def validate(self, attrs):
        if attrs.get("unit_price") is not None and not attrs.get("currency"):
            raise serializers.ValidationError(
                {"currency": serializers.ErrorDetail("Required with unit_price (ISO-4217, e.g. AUD).", code="required")}
            )
        return attrs


class OrderCreateIn(serializers.Serializer):
    order_number = KeyField()
    reference = KeyField()
    order_date = UtcDateTimeField(required=False, allow_null=True)
    warehouse_id = KeyField(max_length=40)
    shipping_method_id = KeyField(max_length=60, required=False, allow_null=True)
    shipping_method = _optional_line(100)
    signature_required = serializers.BooleanField(required=False, default=False)
    insurance = serializers.BooleanField(required=False, default=False)
    gift_message = _optional_line(500)
    packing_note = _optional_line(500)
    ship_to = ShipToIn()
    items = ItemIn(many=True, allow_empty=False, max_length=500)


class OrderAmendIn(serializers.Serializer):
    """Only the fields sent change; `items` is the full desired line set."""

    order_number = KeyField(required=False)
    order_date = UtcDateTimeField(required=False, allow_null=True)
    warehouse_id = KeyField(max_length=40, required=False)
    shipping_method_id = KeyField(max_length=60, required=False, allow_null=True)
    shipping_method = _optional_line(100)
    signature_required = serializers.BooleanField(required=False)
    insurance = serializers.BooleanField(required=False)
    gift_message = _optional_line(500)
    packing_note = _optional_line(500)
    ship_to = ShipToPatchIn(required=False)
    items = ItemIn(many=True, allow_empty=False, max_length=500, required=False)


# --- output schema (the presenter is the truth; these describe it for OpenAPI) ---


class ShipToOut(serializers.Serializer):
    name = serializers.CharField()
    company = serializers.CharField(allow_null=True)
    email = serializers.CharField(allow_null=True)
    phone = serializers.CharField(allow_null=True)
    address1 = serializers.CharField()
    address2 = serializers.CharField(allow_null=True)
    city = serializers.CharField()
    state = serializers.CharField(allow_null=True)
    postcode = serializers.CharField(allow_null=True)
    country = serializers.CharField()


class OrderItemOut(serializers.Serializer):
    sku = serializers.CharField()
    description = serializers.CharField(allow_null=True)
    quantity = serializers.IntegerField()
    unit_price = serializers.CharField(allow_null=True)
    currency = serializers.CharField(allow_null=True)
    quantity_allocated = serializers.IntegerField()
    quantity_backordered = serializers.IntegerField()
    quantity_shipped = serializers.IntegerField()


class OrderOut(serializers.Serializer):
    id = serializers.CharField(help_text="Permanent order id (ord_…).")
    order_number = serializers.CharField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=OrderStatus.values)
    version = serializers.CharField(help_text="Moves on every change; send it back in If-Match.")
    order_date = serializers.DateTimeField(allow_null=True)
    warehouse_id = serializers.CharField()
    shipping_method_id = serializers.CharField(allow_null=True)
    shipping_method = serializers.CharField(allow_null=True)
    signature_required = serializers.BooleanField()
    insurance = serializers.BooleanField()
    gift_message = serializers.CharField(allow_null=True)
    packing_note = serializers.CharField(allow_null=True)
    ship_to = ShipToOut()
    items = OrderItemOut(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    cancelled_at = serializers.DateTimeField(allow_null=True)
    shipments = ShipmentOut(many=True, help_text="Full shipment objects (GET /v1/shipments/{id}).")


LIST_PARAMETERS = [
    *PAGE_PARAMETERS,
    OpenApiParameter("status", str, enum=OrderStatus.values),
    OpenApiParameter("order_number", str),
    OpenApiParameter("reference", str),
]
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    str,
    location=OpenApiParameter.HEADER,
    description="Up to 255 printable ASCII characters (a UUID). A retry with the same key and body returns the "
    "original order with 200 and Idempotent-Replayed: true.",
)
IF_MATCH_PARAMETER = OpenApiParameter(
    "If-Match", str, location=OpenApiParameter.HEADER, description='The order\'s current version, e.g. "4".'
)


def _order_response(order, status: int = 200, headers: dict | None = None) -> Response:
    return Response(order_data(order), status=status, headers={"ETag": order_etag(order), **(headers or {})})


def _parse_if_match(value: str | None) -> int | None:
    """`"4"`, `4` or `W/"4"` → 4; absent or `*` → None (applied without a version check); junk never matches."""
    if value is None or value.strip() == "*":
        return None
    text = value.strip().removeprefix("W/").strip('"')
    return int(text) if text.isdigit() else -1


class OrderListView(ApiView):
    # One group per URL (the middleware reads the class): pollers of this list decide it.
    rate_limit_group = "high"

    @extend_schema(operation_id="orders_list", parameters=LIST_PARAMETERS, responses=paginated(OrderOut, "OrderList"))
    def get(self, request):
        params = request.query_params
        status = params.get("status") or None
        if status is not None and status not in OrderStatus.values:
            raise ValidationFailed(
                f"status must be one of: {', '.join(OrderStatus.values)}.", code="invalid_choice", field="status"
            )
        queryset = order_list(
            scope=self.scope,
            status=status,
            order_number=params.get("order_number") or None,
            reference=params.get("reference") or None,
        )
        return self.paginated(queryset, lambda rows: [order_data(o) for o in rows])

    @extend_schema(
        operation_id="orders_create",
        request=OrderCreateIn,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: OrderOut, 200: OrderOut},
    )
    def post(self, request):
        scope = self.scope
        key = request.headers.get(IDEMPOTENCY_HEADER)

        def produce():
            data = self.validated(OrderCreateIn)
            order, created = order_create(
                tenant=scope.tenant,
                environment=scope.environment,
                data=data,
                connection=scope.connection,
                actor_label=scope.actor_label,
            )
            return (201 if created else 200), order_data(order)

        def replay(status, body):
            # The order as it is now, not the snapshot taken when it was created.
            order = order_get(scope=scope, order_id=body["id"])
            return status, order_data(order)

        result = idempotent(
            tenant=scope.tenant,
            environment=scope.environment,
            endpoint="orders.create",
            key=key,
            body=request.data,
            produce=produce,
            replay=replay,
        )
        return Response(
            result.body, status=result.status, headers={"ETag": f'"{result.body["version"]}"', **result.headers}
        )


class OrderDetailView(ApiView):
    rate_limit_group = "high"

    @extend_schema(operation_id="orders_retrieve", responses=OrderOut)
    def get(self, request, order_id: str):
        return _order_response(order_get(scope=self.scope, order_id=order_id))

    @extend_schema(
        operation_id="orders_update", request=OrderAmendIn, parameters=[IF_MATCH_PARAMETER], responses=OrderOut
    )
    def patch(self, request, order_id: str):
        order = order_get(scope=self.scope, order_id=order_id)
        order_api_policy_check(tenant=self.scope.tenant, operation="amend")
        changes = self.validated(OrderAmendIn)
        order = order_amend(
            order=order,
            changes=changes,
            expected_version=_parse_if_match(request.headers.get("If-Match")),
            actor_label=self.scope.actor_label,
        )
        return _order_response(order)


class OrderCancelView(ApiView):
    rate_limit_group = "standard"

    @extend_schema(operation_id="orders_cancel", request=None, responses=OrderOut)
    def post(self, request, order_id: str):
        order = order_get(scope=self.scope, order_id=order_id)
        order_api_policy_check(tenant=self.scope.tenant, operation="cancel")
        return _order_response(order_cancel(order=order, actor_label=self.scope.actor_label))


urlpatterns = [
    path("orders", OrderListView.as_view(), name="orders"),
    path("orders/<str:order_id>", OrderDetailView.as_view(), name="order"),
    path("orders/<str:order_id>/cancel", OrderCancelView.as_view(), name="order-cancel"),
]
