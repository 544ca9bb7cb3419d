from django.urls import path

from tenants.api.me import MeView, TokenView

urlpatterns = [
    path("me", MeView.as_view(), name="me"),
    path("auth/token", TokenView.as_view(), name="auth-token"),
]
