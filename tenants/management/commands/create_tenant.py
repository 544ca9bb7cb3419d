"""python manage.py create_tenant SLUG --name NAME"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from config.api.errors import ApiError
from tenants import services


class Command(BaseCommand):
    help = "Create a tenant (a client of the 3PL)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)

    def handle(self, *args, slug, name, **options):
        if slugify(slug) != slug:
            raise CommandError(f"slug: '{slug}' must be lowercase letters, digits and hyphens (invalid_field)")
        if not name.strip():
            raise CommandError("name: must not be empty (missing_field)")
        try:
            tenant = services.tenant_create(slug=slug, name=name.strip())
        except ApiError as exc:
            raise CommandError(f"{exc.field}: {exc.message} ({exc.code})") from exc
        self.stdout.write(f"Created tenant {tenant.slug} ({tenant.name})")
