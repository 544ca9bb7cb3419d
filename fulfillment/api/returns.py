"""/v1 returns endpoints."""

urlpatterns: list = []
