"""/v1 sandbox endpoints."""

urlpatterns: list = []
