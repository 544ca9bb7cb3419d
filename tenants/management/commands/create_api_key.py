"""python manage.py create_api_key TENANT_SLUG --env sandbox|live --name NAME [--json] [--read-only]"""

import json as jsonlib

from django.core.management.base import BaseCommand, CommandError

from config.api.errors import ApiError
from tenants import services
from tenants.models import ApiConnection, Tenant


class Command(BaseCommand):
    help = "Create an API connection for a tenant and print its key once."

    def add_arguments(self, parser):
        parser.add_argument("tenant_slug")
        parser.add_argument("--env", required=True, choices=["sandbox", "live"])
        parser.add_argument("--name", required=True)
        parser.add_argument("--read-only", action="store_true", help="Issue a read-only key.")
        parser.add_argument("--json", action="store_true", help="Print one JSON line.")

    def handle(self, *args, tenant_slug, env, name, read_only, as_json=False, **options):
        tenant = Tenant.objects.filter(slug=tenant_slug).first()
        if tenant is None:
            raise CommandError(f"tenant_slug: no tenant '{tenant_slug}' (unknown_tenant)")
        try:
            issued = services.connection_create(
                tenant=tenant,
                environment=env,
                name=name,
                scope=ApiConnection.Scope.READ_ONLY if read_only else ApiConnection.Scope.FULL,
                actor_label="command:create_api_key",
            )
        except ApiError as exc:
            raise CommandError(f"{exc.field}: {exc.message} ({exc.code})") from exc
        if options.get("json") or as_json:
            self.stdout.write(_dumps(issued))
        else:
            self.stdout.write(f"Connection {issued.connection.public_id} ({env}) created.")
            self.stdout.write(f"API key (shown once, store it now): {issued.key}")


def _dumps(issued) -> str:
    return jsonlib.dumps(
        {
            "connection_id": issued.connection.public_id,
            "key": issued.key,
            "environment": issued.connection.environment,
        }
    )
