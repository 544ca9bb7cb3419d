"""Database mechanisms shared by every app: the change position that drives feeds.

Every list under /v1 is ordered by a per-row `change_seq` that the database
itself moves on every INSERT and UPDATE (a trigger), so no code path — ORM
save, queryset.update(), admin, raw SQL — can change a row without moving it
in the feed.

* PostgreSQL: `change_seq` is the writing transaction's id
  (`pg_current_xact_id()`). A reader only returns rows whose writer is older
  than every transaction still in flight (`pg_snapshot_xmin`), see
  config/api/pagination.py. Rows committed later always carry an id at or
  above that watermark, so a poller that resumes from its cursor can never
  skip them.
* SQLite: writes are serialised by the database lock, which is held from the
  first write to the commit, so a counter incremented inside the writing
  transaction gives commit order directly.
"""

from __future__ import annotations

from django.apps import apps
from django.db import connection, models

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION fp_touch_change_seq() RETURNS trigger AS $$
BEGIN
  NEW.change_seq := pg_current_xact_id()::text::bigint;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
"""


class ChangeTrackedModel(models.Model):
    """Abstract base for every row that appears in an `updated_since` feed.

    `change_seq` is written by a database trigger (see module docstring); the
    value held in memory after a save is stale and must not be relied on.
    """

    change_seq = models.BigIntegerField(default=0, editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        abstract = True


def change_tracked_tables() -> list[str]:
    return [
        m._meta.db_table
        for m in apps.get_models()
        if issubclass(m, ChangeTrackedModel) and not m._meta.proxy and m._meta.managed
    ]


def install_change_tracking(using_connection=None) -> None:
    """Create (idempotently) the triggers that maintain change_seq on every tracked table."""
    conn = using_connection or connection
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute(PG_FUNCTION)
            for table in change_tracked_tables():
                trigger = f"fp_change_seq_{table}"[:63]
                cursor.execute(f'DROP TRIGGER IF EXISTS "{trigger}" ON "{table}"')
                cursor.execute(
                    f'CREATE TRIGGER "{trigger}" BEFORE INSERT OR UPDATE ON "{table}" '
                    "FOR EACH ROW EXECUTE FUNCTION fp_touch_change_seq()"
                )
        elif conn.vendor == "sqlite":
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS fp_change_counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)"
            )
            cursor.execute("INSERT OR IGNORE INTO fp_change_counter (id, value) VALUES (1, 0)")
            for table in change_tracked_tables():
                body = (
                    "UPDATE fp_change_counter SET value = value + 1 WHERE id = 1; "
                    f'UPDATE "{table}" SET change_seq = (SELECT value FROM fp_change_counter WHERE id = 1) '
                    "WHERE rowid = NEW.rowid;"
                )
                for event in ("INSERT", "UPDATE"):
                    cursor.execute(
                        f'CREATE TRIGGER IF NOT EXISTS "fp_cs_{event.lower()}_{table}" '
                        f'AFTER {event} ON "{table}" BEGIN {body} END'
                    )
        else:  # pragma: no cover - only the two engines above are supported
            raise RuntimeError(f"change tracking is not implemented for {conn.vendor}")
