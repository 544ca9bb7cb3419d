"""Root URLs: the API under /v1, the client portal, staff admin, health."""

from django.contrib import admin
from django.urls import include, path

from config.health import healthz

urlpatterns = [
    path("v1/", include("config.api.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("tenants.portal.urls")),
]
