"""API connections: list, create (key shown once), roll with a chosen expiry for the old key, revoke."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from config.api.errors import ApiError
from tenants import services
from tenants.models import ApiConnection, ApiKey
from tenants.portal.access import portal_view
from tenants.portal.forms import ConnectionCreateForm, KeyRollForm
from tenants.portal.views.common import no_store

ROLL_EXPIRY_LABELS = {
    "now": "Immediately",
    "1h": "In 1 hour",
    "24h": "In 24 hours",
    "7d": "In 7 days",
}


def _connections(request):
    """The active tenant's connections in the active environment — the only way views reach one."""
    return ApiConnection.objects.filter(tenant=request.portal.tenant, environment=request.portal.environment)


def _connection_or_404(request, public_id: str) -> ApiConnection:
    connection = _connections(request).filter(public_id=public_id).first()
    if connection is None:
        raise Http404("No such connection.")
    return connection


def key_state(api_key: ApiKey, now) -> str:
    if api_key.revoked_at:
        return "revoked"
    if api_key.effective_expires_at() <= now:
        return "expired"
    if api_key.expires_at:
        return "expiring"
    return "active"


@portal_view("connections.view")
def connection_list(request):
    keys = Prefetch("keys", queryset=ApiKey.objects.order_by("-created_at"))
    connections = list(_connections(request).prefetch_related(keys).order_by("status", "-created_at"))
    now = timezone.now()
    rows = []
    for connection in connections:
        usable = [k for k in connection.keys.all() if key_state(k, now) in ("active", "expiring")]
        rows.append({"connection": connection, "current_key": usable[0] if usable else None, "keys": len(usable)})
    return render(
        request,
        "portal/connections/list.html",
        {"title": "API connections", "rows": rows, "form": ConnectionCreateForm()},
    )


@portal_view("connections.manage")
@require_http_methods(["GET", "POST"])
def connection_create(request):
    form = ConnectionCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.connection_create(
                tenant=request.portal.tenant,
                environment=request.portal.environment,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                actor_user=request.user,
            )
        except ApiError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            return no_store(
                render(
                    request,
                    "portal/connections/key_once.html",
                    {"title": "Your new API key", "issued": issued, "action": "created"},
                )
            )
    return render(request, "portal/connections/create.html", {"title": "New API connection", "form": form})


@portal_view("connections.view")
def connection_detail(request, public_id: str):
    connection = _connection_or_404(request, public_id)
    now = timezone.now()
    keys = [{"key": k, "state": key_state(k, now)} for k in connection.keys.order_by("-created_at")]
    audit = request.portal.tenant.audit_log.filter(target=connection.public_id).select_related("actor_user")[:20]
    return render(
        request,
        "portal/connections/detail.html",
        {
            "title": connection.name,
            "connection": connection,
            "keys": keys,
            "roll_form": KeyRollForm(),
            "audit": audit if request.portal.can("audit.view") else None,
        },
    )


@portal_view("connections.manage")
@require_http_methods(["GET", "POST"])
def connection_roll(request, public_id: str):
    connection = _connection_or_404(request, public_id)
    form = KeyRollForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        choice = form.cleaned_data["old_key_expires"]
        try:
            issued = services.api_key_roll(
                connection=connection,
                old_key_expires_in=services.ROLL_EXPIRY_CHOICES[choice],
                actor_user=request.user,
            )
        except ApiError as error:
            messages.error(request, error.message)
            return redirect("portal:connection_detail", public_id=connection.public_id)
        return no_store(
            render(
                request,
                "portal/connections/key_once.html",
                {
                    "title": "Your new API key",
                    "issued": issued,
                    "action": "rolled",
                    "old_key_expiry": ROLL_EXPIRY_LABELS[choice],
                    "old_key_expires_at": timezone.now() + services.ROLL_EXPIRY_CHOICES[choice],
                },
            )
        )
    return render(
        request,
        "portal/connections/roll.html",
        {"title": f"Roll key · {connection.name}", "connection": connection, "form": form},
    )


@portal_view("connections.manage")
@require_http_methods(["GET", "POST"])
def connection_revoke(request, public_id: str):
    connection = _connection_or_404(request, public_id)
    if request.method == "POST":
        if request.POST.get("confirm_name", "").strip() != connection.name:
            messages.error(request, "Type the connection's name exactly to confirm.")
        else:
            services.connection_revoke(connection=connection, actor_user=request.user)
            messages.success(request, f"“{connection.name}” is revoked. Its keys and tokens stopped working.")
            return redirect("portal:connection_detail", public_id=connection.public_id)
    return render(
        request, "portal/connections/revoke.html", {"title": f"Revoke · {connection.name}", "connection": connection}
    )


@portal_view("audit.view")
def audit_log(request):
    from tenants.portal.views.common import paginate

    entries = request.portal.tenant.audit_log.select_related("actor_user").order_by("-created_at", "-id")
    action = request.GET.get("action", "")
    if action:
        entries = entries.filter(action=action)
    page, query = paginate(request, entries)
    actions = request.portal.tenant.audit_log.order_by("action").values_list("action", flat=True).distinct()
    return render(
        request,
        "portal/account/audit.html",
        {"title": "Audit log", "page": page, "query": query, "actions": list(actions), "action": action},
    )
