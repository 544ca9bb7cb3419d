"""python manage.py webhooks_dispatch — send due webhook deliveries now (ops, and the crash-recovery test)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from webhooks import services


class Command(BaseCommand):
    help = "Send every webhook delivery that is due, then exit."

    def add_arguments(self, parser):
        parser.add_argument("--max-batches", type=int, default=None)

    def handle(self, *args, max_batches, **options):
        sent = services.deliveries_dispatch(max_batches=max_batches)
        self.stdout.write(f"{sent} attempts made")
