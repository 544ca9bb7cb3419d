"""Error pages in the portal's style; /v1 paths keep the API's JSON envelope."""

from __future__ import annotations

import logging

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from config.api import errors as api_errors
from config.api.middleware import is_api_path
from tenants.portal.access import resolve

logger = logging.getLogger(__name__)


def _page(request, status: int, heading: str, message: str):
    if request.user.is_authenticated and not hasattr(request, "portal"):
        try:
            request.portal = resolve(request)
        except Exception:  # noqa: BLE001 - an error page must render even if the session is odd
            request.portal = None
    return render(
        request,
        "portal/errors/error.html",
        {"status": status, "heading": heading, "message": message, "title": heading},
        status=status,
    )


def page_not_found(request, exception=None):
    if is_api_path(request.path):
        return api_errors.error_response(api_errors.NotFound(), request)
    return _page(
        request,
        404,
        "Page not found",
        "This page does not exist, or it belongs to another account or environment. "
        "Check the live/sandbox switch at the top if you followed a link.",
    )


def permission_denied(request, exception=None):
    if is_api_path(request.path):
        return api_errors.error_response(api_errors.PermissionDenied(), request)
    portal = getattr(request, "portal", None)
    role = f" (you are {portal.membership.get_role_display().lower()})" if portal else ""
    return _page(
        request,
        403,
        "You don't have access to this",
        f"Your role{role} does not include this page or action. An owner of your account can change your role.",
    )


def bad_request(request, exception=None):
    if is_api_path(request.path):
        return api_errors.error_response(api_errors.BadRequest(), request)
    return _page(request, 400, "Bad request", "The request could not be understood. Go back and try again.")


def server_error(request):
    if is_api_path(request.path):
        return api_errors.error_response(api_errors.ServerError(), request)
    # No context processors or database: whatever failed may fail again.
    return HttpResponseServerError(loader.get_template("500.html").render())


def csrf_failure(request, reason: str = ""):
    logger.info("csrf failure path=%s reason=%s", request.path, reason)
    return _page(
        request,
        403,
        "This form expired",
        "For your security, forms only work from a page you opened recently with cookies enabled. "
        "Go back, reload the page and submit again.",
    )
