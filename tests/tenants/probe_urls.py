"""A URLconf for testing the shared /v1 mechanisms in isolation: the real API plus probe views."""

from django.urls import include, path
from rest_framework import serializers
from rest_framework.response import Response

from config.api.fields import KeyField, LineField, UtcDateTimeField
from config.api.views import ApiView


class ProbeInput(serializers.Serializer):
    sku = KeyField()
    note = LineField(required=False)
    at = UtcDateTimeField(required=False)
    lines = serializers.ListField(child=serializers.DictField(child=KeyField()), required=False, allow_empty=True)


class ProbeView(ApiView):
    def post(self, request):
        data = self.validated(ProbeInput)
        return Response({"sku": data["sku"], "at": UtcDateTimeField().to_representation(data.get("at"))})


class CrashView(ApiView):
    def get(self, request):
        raise RuntimeError("secret internal detail")


class DeprecatedView(ApiView):
    deprecation = {"deprecation": "@1782000000", "sunset": "Wed, 01 Jul 2026 00:00:00 GMT"}

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("v1/_probe", ProbeView.as_view()),
    path("v1/_crash", CrashView.as_view()),
    path("v1/_deprecated", DeprecatedView.as_view()),
    path("", include("config.urls")),
]
