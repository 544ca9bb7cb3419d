"""Portal-only writes about a tenant's people: invite, change role, remove.

The credential writes (connections, keys) stay in tenants/services.py; these are
the membership writes only the portal needs. Same conventions: keyword-only,
tenant first, one transaction, every change in the audit log.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from config.api.errors import Conflict, NotFound, ValidationFailed
from tenants.models import Membership, Tenant
from tenants.services import audit_record


@transaction.atomic
def membership_invite(*, tenant: Tenant, email: str, role: str, actor_user=None) -> tuple[Membership, bool]:
    """Add a person to the tenant with a role; creates their user (no usable password yet) when new.

    Returns (membership, user_created). The caller sends the "choose your
    password" email, so an invitation is also a password-reset link.
    """
    email = (email or "").strip().lower()
    if not email or "@" not in email or len(email) > 254:
        raise ValidationFailed("Enter a valid email address.", code="invalid_field", field="email")
    if role not in Membership.Role.values:
        raise ValidationFailed("Choose a role.", code="invalid_choice", field="role")
    User = get_user_model()
    user = User.objects.filter(email__iexact=email).order_by("id").first()
    created = False
    if user is None:
        user = User(username=email[:150], email=email)
        user.set_unusable_password()
        user.save()
        created = True
    if Membership.objects.filter(tenant=tenant, user=user).exists():
        raise Conflict("This person is already a member.", code="already_member", field="email")
    membership = Membership.objects.create(tenant=tenant, user=user, role=role)
    audit_record(tenant=tenant, action="member.invited", target=email, actor_user=actor_user, role=role)
    return membership, created


def _other_owners(tenant: Tenant, membership: Membership) -> bool:
    return Membership.objects.filter(tenant=tenant, role=Membership.Role.OWNER).exclude(pk=membership.pk).exists()


@transaction.atomic
def membership_set_role(*, tenant: Tenant, membership_id: int, role: str, actor_user=None) -> Membership:
    """Change a member's role; the last owner cannot stop being owner (someone must be able to manage)."""
    membership = Membership.objects.select_for_update().filter(tenant=tenant, pk=membership_id).first()
    if membership is None:
        raise NotFound("No such member.")
    if role not in Membership.Role.values:
        raise ValidationFailed("Choose a role.", code="invalid_choice", field="role")
    if membership.role == role:
        return membership
    if membership.role == Membership.Role.OWNER and not _other_owners(tenant, membership):
        raise Conflict("The last owner cannot change role.", code="last_owner", field="role")
    previous = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        tenant=tenant,
        action="member.role_changed",
        target=membership.user.email or membership.user.username,
        actor_user=actor_user,
        previous=previous,
        role=role,
    )
    return membership


@transaction.atomic
def membership_remove(*, tenant: Tenant, membership_id: int, actor_user=None) -> None:
    """Remove a person from the tenant (their user stays; other tenants are unaffected)."""
    membership = Membership.objects.select_for_update().filter(tenant=tenant, pk=membership_id).first()
    if membership is None:
        raise NotFound("No such member.")
    if membership.role == Membership.Role.OWNER and not _other_owners(tenant, membership):
        raise Conflict("The last owner cannot be removed.", code="last_owner")
    label = membership.user.email or membership.user.username
    membership.delete()
    audit_record(tenant=tenant, action="member.removed", target=label, actor_user=actor_user)
