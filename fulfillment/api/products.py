"""/v1 products endpoints."""

urlpatterns: list = []
