"""python manage.py seed_demo — idempotent demo data for `make run` and manual testing."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from fulfillment.demo import seed_reference_data, seed_tenant_catalogue
from tenants.models import Membership, Tenant

DEMO_ADMIN = ("admin", "admin-demo-pass")
DEMO_OWNER = ("demo-owner", "demo-owner-pass")


class Command(BaseCommand):
    help = "Create the demo warehouses, shipping methods, tenant 'demo' and its users (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        seed_reference_data()
        tenant, _ = Tenant.objects.get_or_create(slug="demo", defaults={"name": "Demo Brand Pty Ltd"})
        User = get_user_model()
        admin, created = User.objects.get_or_create(
            username=DEMO_ADMIN[0], defaults={"is_staff": True, "is_superuser": True, "email": "admin@example.com"}
        )
        if created:
            admin.set_password(DEMO_ADMIN[1])
            admin.save()
        owner, created = User.objects.get_or_create(username=DEMO_OWNER[0], defaults={"email": "owner@demo.example"})
        if created:
            owner.set_password(DEMO_OWNER[1])
            owner.save()
        Membership.objects.get_or_create(tenant=tenant, user=owner, defaults={"role": Membership.Role.OWNER})
        seed_tenant_catalogue(tenant)
        self.stdout.write("Demo data ready: tenant 'demo', warehouses wh_syd_1 and wh_mel_1.")
