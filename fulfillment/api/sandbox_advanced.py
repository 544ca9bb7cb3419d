"""Sandbox stand-ins for warehouse staff: receive an ASN, receive a return (same services as admin).

Like every simulator route, a live credential gets 404 route_not_found here.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from config.api.fields import KeyField, LineField
from fulfillment.api.inbound import InboundOut
from fulfillment.api.returns import ReturnOut
from fulfillment.api.sandbox import SandboxView
from fulfillment.models import ReturnCondition
from fulfillment.presenters.inbound import inbound_data
from fulfillment.presenters.returns import return_data
from fulfillment.selectors.inbound import inbound_get
from fulfillment.selectors.returns import return_get
from fulfillment.services.inbound import ReceiptLineInput, inbound_receive
from fulfillment.services.returns import ReturnReceiptInput, return_receive


class SandboxReceiptItemIn(serializers.Serializer):
    sku = KeyField()
    quantity = serializers.IntegerField(min_value=0, max_value=1_000_000)


class SandboxInboundReceiveIn(serializers.Serializer):
    final = serializers.BooleanField(required=False, default=True)
    items = SandboxReceiptItemIn(many=True, required=False, allow_empty=False, max_length=1000)
    note = LineField(required=False, allow_blank=True, max_length=300)


class SandboxReturnItemIn(serializers.Serializer):
    sku = KeyField()
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    condition = serializers.ChoiceField(choices=ReturnCondition.values)
    restocked = serializers.BooleanField(required=False, allow_null=True, default=None)


class SandboxReturnReceiveIn(serializers.Serializer):
    items = SandboxReturnItemIn(many=True, allow_empty=False, max_length=1000)
    note = LineField(required=False, allow_blank=True, max_length=300)


class SandboxInboundReceiveView(SandboxView):
    @extend_schema(operation_id="sandbox_inbound_receive", request=SandboxInboundReceiveIn, responses=InboundOut)
    def post(self, request, inbound_id: str):
        data = self.validated(SandboxInboundReceiveIn)
        inbound = inbound_get(scope=self.scope, public_id=inbound_id)
        items = data.get("items")
        inbound_receive(
            tenant=self.scope.tenant,
            environment=self.scope.environment,
            inbound=inbound,
            lines=None if items is None else [ReceiptLineInput(sku=i["sku"], quantity=i["quantity"]) for i in items],
            final=data["final"],
            actor=self.scope.actor_label,
            note=data.get("note", ""),
        )
        return Response(inbound_data(inbound_get(scope=self.scope, public_id=inbound_id)))


class SandboxReturnReceiveView(SandboxView):
    @extend_schema(operation_id="sandbox_returns_receive", request=SandboxReturnReceiveIn, responses=ReturnOut)
    def post(self, request, return_id: str):
        data = self.validated(SandboxReturnReceiveIn)
        ret = return_get(scope=self.scope, public_id=return_id)
        return_receive(
            tenant=self.scope.tenant,
            environment=self.scope.environment,
            ret=ret,
            items=[
                ReturnReceiptInput(
                    sku=i["sku"], quantity=i["quantity"], condition=i["condition"], restocked=i.get("restocked")
                )
                for i in data["items"]
            ],
            actor=self.scope.actor_label,
            note=data.get("note", ""),
        )
        return Response(return_data(return_get(scope=self.scope, public_id=return_id)))


urlpatterns = [
    path(
        "sandbox/inbound-shipments/<str:inbound_id>/receive",
        SandboxInboundReceiveView.as_view(),
        name="sandbox-inbound-receive",
    ),
    path("sandbox/returns/<str:return_id>/receive", SandboxReturnReceiveView.as_view(), name="sandbox-return-receive"),
]
