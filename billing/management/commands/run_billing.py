"""python manage.py run_billing --from YYYY-MM-DD --to YYYY-MM-DD — backfill or re-run billing for a range."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from billing import services


def _parse_day(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise CommandError(f"{name} must be a date as YYYY-MM-DD, got {value!r}.")


class Command(BaseCommand):
    help = "Run nightly billing for each day of a range (inclusive). Idempotent: re-running changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, help="First day, YYYY-MM-DD (UTC).")
        parser.add_argument("--to", dest="end", required=True, help="Last day, YYYY-MM-DD (UTC).")
        parser.add_argument("--no-flush", action="store_true", help="Do not flush the metering accumulator first.")

    def handle(self, *args, start, end, no_flush=False, **options):
        first = _parse_day("--from", start)
        last = _parse_day("--to", end)
        if last < first:
            raise CommandError(f"--to ({last}) must not be before --from ({first}).")
        if not no_flush:
            services.usage_flush()
        interactive = self.stdout.isatty() if hasattr(self.stdout, "isatty") else False
        total_days = (last - first).days + 1

        def progress(done: int, total: int) -> None:
            width = 30
            filled = width * done // total
            bar = f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} days"
            self.stdout.write(bar, ending="" if interactive and done < total else "\n")
            self.stdout.flush()

        results = services.billing_run_range(start=first, end=last, progress=progress)
        issued = [n for r in results for n in r.invoices_issued]
        created = sum(r.invoices_created for r in results)
        updated = sum(r.invoices_updated for r in results)
        self.stdout.write(
            self.style.SUCCESS(
                f"Billed {total_days} day(s) {first}..{last}: {created} invoice(s) created, {updated} updated, "
                f"{len(issued)} issued{': ' + ', '.join(issued) if issued else ''}."
            )
        )
