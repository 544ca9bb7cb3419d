"""python manage.py run_portal — what `make run` starts: web server, Celery worker and beat.

Issues a fresh demo sandbox key (the previous demo keys stop working), prints
how to use it, and stops everything it started on Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand

from tenants import services
from tenants.management.commands.seed_demo import DEMO_ADMIN, DEMO_OWNER
from tenants.models import ApiConnection, Tenant

DEMO_CONNECTION_NAME = "Demo ERP (sandbox)"


def _wait_until_serving(url: str, timeout: float) -> None:
    """Print the banner only once the server answers, so it is the last thing on screen."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own loopback URL
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)


class Command(BaseCommand):
    help = "Run the portal with a Celery worker and beat on embedded defaults (used by `make run`)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))

    def handle(self, *args, host, port, **options):
        key = self._demo_key()
        base = f"http://{host}:{port}"
        children = [
            subprocess.Popen([sys.executable, "manage.py", "runserver", f"{host}:{port}", "--noreload"]),
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "-B",
                    "--loglevel=WARNING",
                    "--concurrency=2",
                    "-s",
                    str(settings.VAR_DIR / "celerybeat-schedule"),
                ]
            ),
        ]
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Fulfillment portal is running.",
                    f"  Portal:       {base}/  (client login: {DEMO_OWNER[0]} / {DEMO_OWNER[1]})",
                    f"  Admin:        {base}/admin/  (staff login: {DEMO_ADMIN[0]} / {DEMO_ADMIN[1]})",
                    f"  API docs:     {base}/v1/docs",
                    f"  Sandbox key:  {key}",
                    "  Try it:",
                    f'    curl -s -H "Authorization: Bearer {key}" {base}/v1/warehouses',
                    "",
                    "Press Ctrl-C to stop the web server, worker and beat.",
                    "",
                ]
            )
        )
        self.stdout.flush()
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(child.poll() is None for child in children):
                time.sleep(0.5)
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            deadline = time.time() + 10
            for child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.time()))
                except subprocess.TimeoutExpired:
                    child.kill()
            self.stdout.write("Stopped.")

    def _demo_key(self) -> str:
        """A fresh key for the demo sandbox connection; earlier demo keys stop working now."""
        tenant = Tenant.objects.get(slug="demo")
        connection = ApiConnection.objects.filter(
            tenant=tenant, environment="sandbox", name=DEMO_CONNECTION_NAME, status=ApiConnection.Status.ACTIVE
        ).first()
        if connection is None:
            return services.connection_create(
                tenant=tenant, environment="sandbox", name=DEMO_CONNECTION_NAME, actor_label="make run"
            ).key
        return services.api_key_roll(connection=connection, old_key_expires_in=timedelta(0), actor_label="make run").key
