"""GET /v1/warehouses and GET /v1/shipping-methods (blueprint §4)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from config.api.schema import PAGE_PARAMETERS, paginated
from config.api.views import ApiView
from fulfillment import selectors


class AddressOut(serializers.Serializer):
    address1 = serializers.CharField()
    address2 = serializers.CharField(allow_null=True)
    city = serializers.CharField()
    state = serializers.CharField(allow_null=True)
    postcode = serializers.CharField()
    country = serializers.CharField()


class WarehouseOut(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    code = serializers.CharField()
    address = AddressOut()


class ShippingMethodOut(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    carrier = serializers.CharField()
    carrier_name = serializers.CharField()
    service_code = serializers.CharField()


def warehouse_data(warehouse) -> dict:
    return {
        "id": warehouse.public_id,
        "name": warehouse.name,
        "code": warehouse.code,
        "address": {
            "address1": warehouse.address1,
            "address2": warehouse.address2 or None,
            "city": warehouse.city,
            "state": warehouse.state or None,
            "postcode": warehouse.postcode,
            "country": warehouse.country,
        },
    }


def shipping_method_data(method) -> dict:
    return {
        "id": method.public_id,
        "name": method.name,
        "carrier": method.carrier.code,
        "carrier_name": method.carrier.name,
        "service_code": method.service_code,
    }


class WarehouseListView(ApiView):
    rate_limit_group = "high"

    @extend_schema(
        operation_id="warehouses_list", parameters=PAGE_PARAMETERS, responses=paginated(WarehouseOut, "WarehouseList")
    )
    def get(self, request):
        return self.paginated(
            selectors.warehouses_for_tenant(self.scope.tenant), lambda rows: [warehouse_data(w) for w in rows]
        )


class ShippingMethodListView(ApiView):
    rate_limit_group = "high"

    @extend_schema(
        operation_id="shipping_methods_list",
        parameters=PAGE_PARAMETERS,
        responses=paginated(ShippingMethodOut, "ShippingMethodList"),
    )
    def get(self, request):
        return self.paginated(selectors.shipping_methods_active(), lambda rows: [shipping_method_data(m) for m in rows])
