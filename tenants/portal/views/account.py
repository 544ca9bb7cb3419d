"""Members (owners invite people and set roles)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.views.decorators.http import require_http_methods, require_POST

from config.api.errors import ApiError
from tenants import portal_services
from tenants.portal.access import portal_view
from tenants.portal.forms import MemberInviteForm, MemberRoleForm


def _send_invitation(request, user, tenant) -> None:
    """The invitation is a "choose your password" link (Django's reset token: single use, time-limited)."""
    path = reverse(
        "portal:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    link = request.build_absolute_uri(path)
    send_mail(
        subject=f"You are invited to {tenant.name} on the fulfillment portal",
        message=(
            f"{request.user.get_username()} invited you to {tenant.name}.\n\n"
            f"Choose your password to sign in: {link}\n\n"
            f"Your username is {user.get_username()}.\n"
        ),
        from_email=None,
        recipient_list=[user.email],
    )


@portal_view("members.manage")
@require_http_methods(["GET", "POST"])
def member_list(request):
    tenant = request.portal.tenant
    form = MemberInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership, created = portal_services.membership_invite(
                tenant=tenant, email=form.cleaned_data["email"], role=form.cleaned_data["role"], actor_user=request.user
            )
        except ApiError as error:
            form.add_error("email" if error.field == "email" else None, error.message)
        else:
            if created:
                _send_invitation(request, membership.user, tenant)
                messages.success(request, f"Invitation sent to {membership.user.email}.")
            else:
                messages.success(request, f"{membership.user.email} can now sign in to {tenant.name}.")
            return redirect("portal:members")
    members = tenant.memberships.select_related("user").order_by("user__email", "user__username")
    return render(
        request,
        "portal/account/members.html",
        {"title": "Members", "members": members, "form": form, "roles": MemberRoleForm.base_fields["role"].choices},
    )


@portal_view("members.manage")
@require_POST
def member_update(request, membership_id: int):
    tenant = request.portal.tenant
    try:
        if request.POST.get("action") == "remove":
            portal_services.membership_remove(tenant=tenant, membership_id=membership_id, actor_user=request.user)
            messages.success(request, "Member removed.")
        else:
            form = MemberRoleForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Choose a role.")
            else:
                portal_services.membership_set_role(
                    tenant=tenant, membership_id=membership_id, role=form.cleaned_data["role"], actor_user=request.user
                )
                messages.success(request, "Role updated.")
    except ApiError as error:
        if error.status_code == 404:
            from django.http import Http404

            raise Http404(error.message)
        messages.error(request, error.message)
    return redirect("portal:members")
