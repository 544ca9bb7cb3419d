"""Everything under /v1. Each app contributes its routes; the catch-all answers unknown paths."""

from __future__ import annotations

from django.urls import include, path, re_path
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from config.api.views import unknown_route


class SchemaJsonRenderer(OpenApiJsonRenderer):
    media_type = "application/json"


class SchemaView(SpectacularAPIView):
    """GET /v1/openapi.json — always JSON, whatever the Accept header asks for."""

    api_public = True
    renderer_classes = [SchemaJsonRenderer]


class DocsView(SpectacularSwaggerView):
    api_public = True


class RedocView(SpectacularRedocView):
    api_public = True


urlpatterns = [
    path("openapi.json", SchemaView.as_view(), name="openapi"),
    path("docs", DocsView.as_view(url_name="openapi"), name="docs"),
    path("redoc", RedocView.as_view(url_name="openapi"), name="redoc"),
    path("", include("tenants.api.urls")),
    path("", include("fulfillment.api.urls")),
    path("", include("webhooks.api.urls")),
    path("", include("billing.api.urls")),
    re_path(r"^.*$", unknown_route),
]
