"""/v1 shipments endpoints."""

urlpatterns: list = []
