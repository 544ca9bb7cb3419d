"""Sign in (throttled), the tenant picker and the live/sandbox switch."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tenants.models import Environment
from tenants.portal import throttle
from tenants.portal.access import SESSION_ENVIRONMENT, SESSION_TENANT


class LoginView(auth_views.LoginView):
    """Django's sign-in with failed attempts counted per username+IP (and per IP) and a lockout window."""

    template_name = "portal/account/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        ip = throttle.client_ip(request)
        if throttle.is_locked(username, ip):
            # An unbound form: the password is not even checked while locked.
            form = self.get_form_class()(request=request, initial={"username": username})
            context = self.get_context_data(form=form, locked=True)
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        throttle.record_failure(self.request.POST.get("username", ""), throttle.client_ip(self.request))
        return super().form_invalid(form)

    def form_valid(self, form):
        throttle.clear(self.request.POST.get("username", ""), throttle.client_ip(self.request))
        return super().form_valid(form)


@login_required
def no_tenant(request):
    """A signed-in user without any membership: say so instead of showing an empty portal."""
    if request.user.memberships.exists():
        return redirect("portal:dashboard")
    return render(request, "portal/account/no_tenant.html", {"title": "No account yet"})


@login_required
@require_POST
def tenant_switch(request):
    """Pick which of the user's tenants the portal acts for; only tenants they belong to are accepted."""
    membership = request.user.memberships.filter(tenant__slug=request.POST.get("tenant", "")).first()
    if membership is None:
        messages.error(request, "You are not a member of that account.")
        return redirect("portal:dashboard")
    request.session[SESSION_TENANT] = membership.tenant_id
    messages.success(request, f"Switched to {membership.tenant.name}.")
    # The previous page's object belongs to the other tenant: start from the dashboard.
    return redirect("portal:dashboard")


@login_required
@require_POST
def environment_switch(request):
    """Live/sandbox switch (a test-mode toggle): kept in the session, shown on every page."""
    environment = request.POST.get("environment", "")
    if environment not in Environment.values:
        messages.error(request, "Unknown environment.")
        return redirect("portal:dashboard")
    request.session[SESSION_ENVIRONMENT] = environment
    # Objects belong to one environment: go back to the section's list, not the object.
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        section = target.strip("/").split("/")[0]
        return redirect(f"/{section}/" if section else "/")
    return redirect("portal:dashboard")
