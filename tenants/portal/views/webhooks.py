"""Webhooks: endpoints, secrets shown once, events, enable/disable, test events, delivery log, resend."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from config.api.errors import ApiError
from tenants.portal import sources
from tenants.portal.access import portal_view
from tenants.portal.forms import WebhookEndpointForm, WebhookEventsForm
from tenants.portal.views.common import no_store, paginate


def _sources():
    selectors, services = sources.webhook_selectors(), sources.webhook_services()
    if sources.has(selectors, "endpoints_for", "endpoint_get", "deliveries_for", "delivery_get") and sources.has(
        services, "endpoint_create", "endpoint_update", "endpoint_roll_secret", "endpoint_send_test"
    ):
        return selectors, services
    return None


def _unavailable(request):
    return render(request, "portal/webhooks/list.html", {"title": "Webhooks", "available": False})


def _actor(request) -> str:
    return f"portal:{request.user.get_username()}"


def _endpoint_or_404(selectors, request, public_id: str):
    endpoint = selectors.endpoint_get(request.portal.tenant, request.portal.environment, public_id)
    if endpoint is None:
        raise Http404("No such webhook endpoint.")
    return endpoint


def _form_error(form, error: ApiError) -> None:
    field = (error.field or "").split("[")[0]
    form.add_error(field if field in form.fields else None, error.message)


@portal_view("webhooks.view")
def endpoint_list(request):
    found = _sources()
    if found is None:
        return _unavailable(request)
    selectors, _ = found
    endpoints = selectors.endpoints_for(request.portal.tenant, request.portal.environment).order_by("-created_at")
    return render(
        request, "portal/webhooks/list.html", {"title": "Webhooks", "available": True, "endpoints": endpoints}
    )


@portal_view("webhooks.manage")
@require_http_methods(["GET", "POST"])
def endpoint_create(request):
    found = _sources()
    if found is None:
        return _unavailable(request)
    _, services = found
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.endpoint_create(
                tenant=request.portal.tenant,
                environment=request.portal.environment,
                url=form.cleaned_data["url"].strip(),
                events=form.cleaned_data["events"],
                actor_label=_actor(request),
            )
        except ApiError as error:
            _form_error(form, error)
        else:
            return no_store(
                render(
                    request,
                    "portal/webhooks/secret_once.html",
                    {
                        "title": "Webhook created",
                        "endpoint": created.endpoint,
                        "secret": created.secret,
                        "action": "created",
                    },
                )
            )
    return render(request, "portal/webhooks/create.html", {"title": "New webhook endpoint", "form": form})


@portal_view("webhooks.view")
def endpoint_detail(request, public_id: str):
    found = _sources()
    if found is None:
        raise Http404("Webhooks are not available yet.")
    selectors, _ = found
    endpoint = _endpoint_or_404(selectors, request, public_id)
    status = request.GET.get("status", "")
    deliveries = selectors.deliveries_for(endpoint).order_by("-created_at", "-id")
    if status in ("pending", "succeeded", "failed"):
        deliveries = deliveries.filter(status=status)
    page, query = paginate(request, deliveries, per_page=25)
    return render(
        request,
        "portal/webhooks/detail.html",
        {
            "title": f"Webhook {endpoint.url}",
            "endpoint": endpoint,
            "page": page,
            "query": query,
            "status": status,
            "events_form": WebhookEventsForm(initial={"events": endpoint.events}),
        },
    )


@portal_view("webhooks.manage")
@require_http_methods(["GET", "POST"])
def endpoint_edit(request, public_id: str):
    found = _sources()
    if found is None:
        raise Http404("Webhooks are not available yet.")
    selectors, services = found
    endpoint = _endpoint_or_404(selectors, request, public_id)
    form = WebhookEndpointForm(request.POST or None, initial={"url": endpoint.url, "events": endpoint.events})
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_update(
                endpoint=endpoint,
                url=form.cleaned_data["url"].strip(),
                events=form.cleaned_data["events"],
                actor_label=_actor(request),
            )
        except ApiError as error:
            _form_error(form, error)
        else:
            messages.success(request, "Webhook updated.")
            return redirect("portal:webhook_detail", public_id=endpoint.public_id)
    return render(request, "portal/webhooks/edit.html", {"title": "Edit webhook", "endpoint": endpoint, "form": form})


@portal_view("webhooks.manage")
@require_POST
def endpoint_action(request, public_id: str):
    """enable / disable / roll_secret / send_test / delete — one POST each, all through webhooks.services."""
    found = _sources()
    if found is None:
        raise Http404("Webhooks are not available yet.")
    selectors, services = found
    endpoint = _endpoint_or_404(selectors, request, public_id)
    action = request.POST.get("action", "")
    try:
        if action == "enable":
            services.endpoint_update(endpoint=endpoint, enabled=True, actor_label=_actor(request))
            messages.success(request, "Webhook enabled. Missed events can be replayed through the API.")
        elif action == "disable":
            services.endpoint_update(endpoint=endpoint, enabled=False, actor_label=_actor(request))
            messages.success(request, "Webhook disabled. No events are sent until you enable it again.")
        elif action == "send_test":
            services.endpoint_send_test(endpoint=endpoint)
            messages.success(request, "Test event queued. It appears in the delivery log below within seconds.")
        elif action == "roll_secret":
            secret = services.endpoint_roll_secret(endpoint=endpoint, actor_label=_actor(request))
            return no_store(
                render(
                    request,
                    "portal/webhooks/secret_once.html",
                    {"title": "New signing secret", "endpoint": endpoint, "secret": secret, "action": "rolled"},
                )
            )
        elif action == "delete":
            services.endpoint_delete(endpoint=endpoint, actor_label=_actor(request))
            messages.success(request, f"Webhook {endpoint.url} deleted.")
            return redirect("portal:webhooks")
        else:
            messages.error(request, "Unknown action.")
    except ApiError as error:
        messages.error(request, error.message)
    return redirect("portal:webhook_detail", public_id=endpoint.public_id)


@portal_view("webhooks.manage")
@require_POST
def delivery_resend(request, public_id: str, delivery_id: str):
    found = _sources()
    if found is None:
        raise Http404("Webhooks are not available yet.")
    selectors, services = found
    endpoint = _endpoint_or_404(selectors, request, public_id)
    delivery = selectors.delivery_get(endpoint, delivery_id)
    if delivery is None:
        raise Http404("No such delivery.")
    try:
        services.delivery_redeliver(delivery=delivery)
    except ApiError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Delivery {delivery.public_id} queued again.")
    return redirect("portal:webhook_detail", public_id=endpoint.public_id)
