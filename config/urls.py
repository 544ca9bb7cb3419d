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

# Portal-styled error pages; /v1 paths keep the JSON envelope (see tenants/portal/views/errors.py).
handler400 = "tenants.portal.views.errors.bad_request"
handler403 = "tenants.portal.views.errors.permission_denied"
handler404 = "tenants.portal.views.errors.page_not_found"
handler500 = "tenants.portal.views.errors.server_error"
