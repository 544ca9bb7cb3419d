"""Base views for /v1. Views are thin: validate input, call one service or selector, render."""

from __future__ import annotations

from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.errors import NotFound, error_response
from config.api.pagination import paginate


class ApiView(APIView):
    """An authenticated /v1 endpoint. `self.scope` is the caller's tenant, environment and connection."""

    rate_limit_group = "standard"

    @property
    def scope(self):
        return self.request.auth

    def validated(self, serializer_class, data=None, **kwargs) -> dict:
        serializer = serializer_class(data=self.request.data if data is None else data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def paginated(self, queryset, render) -> Response:
        """One list envelope for every list: `render(rows)` turns a page of rows into dicts."""
        page = paginate(self.request, queryset)
        return Response(page.envelope(render(page.rows)))


class PublicApiView(APIView):
    """A /v1 endpoint that needs no credential (schema, docs)."""

    api_public = True
    authentication_classes: list = []
    permission_classes = [AllowAny]


def unknown_route(request, *args, **kwargs):
    """Any path under /v1 that names no endpoint: 404 in the envelope, not Django's HTML page."""
    error = NotFound(f"No endpoint at {request.method} {request.path}.", code="route_not_found")
    return error_response(error, request)


unknown_route.api_public = True
