"""/v1 adjustments endpoints."""

urlpatterns: list = []
