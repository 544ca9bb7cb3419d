"""The client portal (server-rendered)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def dashboard(request):
    return render(request, "portal/dashboard.html", {"memberships": request.user.memberships.select_related("tenant")})
