"""/v1/products: the tenant's catalogue (list with updated_since, read, create, amend, soft delete)."""

from __future__ import annotations

from decimal import Decimal

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from config.api.fields import CurrencyField, DecimalStringField, KeyField, LineField
from config.api.schema import PAGE_PARAMETERS, paginated
from config.api.views import ApiView
from fulfillment.models import DimensionUnit, WeightUnit
from fulfillment.presenters.products import product_data
from fulfillment.selectors.products import product_get, product_list
from fulfillment.services.products import product_create, product_delete, product_update

LIST_PARAMETERS = [
    *PAGE_PARAMETERS,
]


@extend_schema_field({"type": "string", "pattern": r"^\d{1,10}(\.\d{1,2})?$", "example": "19.99"})
class AmountField(DecimalStringField):
    """A money amount as a decimal string (the foundation's DecimalStringField, described for OpenAPI)."""


class AmountIn(serializers.Serializer):
    """`{"amount": "19.99", "currency": "AUD"}`."""

    amount = AmountField()
    currency = CurrencyField()


def _measure(**kwargs):
    return serializers.DecimalField(max_digits=10, decimal_places=3, min_value=Decimal(0), **kwargs)


class WeightIn(serializers.Serializer):
    value = _measure()
    unit = serializers.ChoiceField(choices=WeightUnit.values)


class DimensionsIn(serializers.Serializer):
    length = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal(0))
    width = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal(0))
    height = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal(0))
    unit = serializers.ChoiceField(choices=DimensionUnit.values)


class ProductIn(serializers.Serializer):
    """Fields of a product; on PATCH only those sent change (send null to clear an optional one)."""

    description = LineField(max_length=300, required=False, allow_blank=True)
    barcode = KeyField(max_length=64, required=False, allow_null=True, allow_blank=True)
    weight = WeightIn(required=False, allow_null=True)
    dimensions = DimensionsIn(required=False, allow_null=True)
    customs_value = AmountIn(required=False, allow_null=True)


class ProductCreateIn(ProductIn):
    sku = KeyField()


class ProductWeightOut(serializers.Serializer):
    value = serializers.FloatField()
    unit = serializers.ChoiceField(choices=WeightUnit.values)


class ProductDimensionsOut(serializers.Serializer):
    length = serializers.FloatField()
    width = serializers.FloatField()
    height = serializers.FloatField()
    unit = serializers.ChoiceField(choices=DimensionUnit.values)


class ProductMoneyOut(serializers.Serializer):
    amount = serializers.CharField()
    currency = serializers.CharField()


class ProductOut(serializers.Serializer):
    sku = serializers.CharField()
    description = serializers.CharField()
    barcode = serializers.CharField(allow_null=True)
    weight = ProductWeightOut(allow_null=True)
    dimensions = ProductDimensionsOut(allow_null=True)
    customs_value = ProductMoneyOut(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    deleted_at = serializers.DateTimeField(allow_null=True, help_text="Set once the product is deleted.")


class ProductListView(ApiView):
    # Groups are per URL (the middleware reads the class): the feed pollers hit decides.
    rate_limit_group = "high"

    @extend_schema(
        operation_id="products_list", parameters=LIST_PARAMETERS, responses=paginated(ProductOut, "ProductList")
    )
    def get(self, request):
        return self.paginated(product_list(scope=self.scope), lambda rows: [product_data(p) for p in rows])

    @extend_schema(
        operation_id="products_create", request=ProductCreateIn, responses={201: ProductOut, 200: ProductOut}
    )
    def post(self, request):
        data = self.validated(ProductCreateIn)
        product, created = product_create(
            tenant=self.scope.tenant, environment=self.scope.environment, sku=data.pop("sku"), data=data
        )
        return Response(product_data(product), status=201 if created else 200)


class ProductDetailView(ApiView):
    rate_limit_group = "standard"

    @extend_schema(operation_id="products_retrieve", responses=ProductOut)
    def get(self, request, sku: str):
        return Response(product_data(product_get(scope=self.scope, sku=sku)))

    @extend_schema(operation_id="products_update", request=ProductIn, responses=ProductOut)
    def patch(self, request, sku: str):
        product = product_get(scope=self.scope, sku=sku, include_deleted=False)
        data = self.validated(ProductIn)
        return Response(product_data(product_update(product=product, data=data)))

    @extend_schema(operation_id="products_destroy", request=None, responses=ProductOut)
    def delete(self, request, sku: str):
        product = product_get(scope=self.scope, sku=sku, include_deleted=False)
        return Response(product_data(product_delete(product=product)))


urlpatterns = [
    path("products", ProductListView.as_view(), name="products"),
    path("products/<str:sku>", ProductDetailView.as_view(), name="product"),
]
