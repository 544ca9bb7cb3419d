"""/v1 inbound endpoints."""

urlpatterns: list = []
