"""/v1 inventory endpoints."""

urlpatterns: list = []
