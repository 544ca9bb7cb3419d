"""The one pagination mechanism: keyset on (change_seq, id), opaque signed cursors, `updated_since`.

Why not `updated_at`: it comes from the application clock, and a transaction
that set it early can commit after a poller has already moved past that time.

Instead every list is ordered by `change_seq` (config/db.py), which the
database moves on every write. On PostgreSQL it is the writer's transaction
id, and a page only contains rows written by transactions older than the
oldest one still running (`pg_snapshot_xmin(pg_current_snapshot())`, the
"safe watermark"). Any row that commits later therefore has a change_seq at
or above every position already handed out, so a poller that resumes from
its cursor sees it; a row is never handed out twice for the same change
because positions only move forward. Statements are bounded by
statement_timeout and idle transactions by idle_in_transaction_session_timeout
(config/settings.py), so the watermark cannot be held back for long.

On SQLite writers are serialised by the database lock and change_seq is a
counter bumped inside the writing transaction, so commit order is change_seq
order and no watermark is needed.

`next_cursor` follows the blueprint (null on the last page). Every page also
carries `resume_cursor`: the position after the last row, which a poller
stores and passes as `cursor` on its next poll to receive exactly what
changed since.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from config.api.errors import BadRequest, ValidationFailed
from config.api.fields import UtcDateTimeField

_SALT = "v1.cursor"
_PG_WATERMARK = (
    "COALESCE(pg_current_xact_id_if_assigned()::text::bigint, -1)",
    "pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
)


@dataclass
class Page:
    rows: list
    next_cursor: str | None
    resume_cursor: str | None
    has_more: bool

    def envelope(self, data: list) -> dict:
        return {
            "data": data,
            "pagination": {
                "next_cursor": self.next_cursor,
                "has_more": self.has_more,
                "resume_cursor": self.resume_cursor,
            },
        }


def encode_cursor(change_seq: int, row_id: int) -> str:
    return signing.dumps([change_seq, row_id], salt=_SALT, compress=False)


def decode_cursor(value: str) -> tuple[int, int]:
    try:
        change_seq, row_id = signing.loads(value, salt=_SALT)
        return int(change_seq), int(row_id)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise BadRequest(
            "The cursor is not valid; start again without one.", code="invalid_cursor", field="cursor"
        ) from exc


def parse_limit(raw: str | None) -> int:
    if raw in (None, ""):
        return settings.PAGINATION_DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError as exc:
        raise ValidationFailed("limit must be a whole number.", code="invalid_field", field="limit") from exc
    if not 1 <= limit <= settings.PAGINATION_MAX_LIMIT:
        raise ValidationFailed(
            f"limit must be between 1 and {settings.PAGINATION_MAX_LIMIT}.", code="out_of_range", field="limit"
        )
    return limit


def parse_timestamp(raw: str | None, field: str) -> datetime.datetime | None:
    if raw in (None, ""):
        return None
    from rest_framework.exceptions import ValidationError

    try:
        return UtcDateTimeField().to_internal_value(raw)
    except ValidationError as exc:
        raise ValidationFailed(
            f"{field} must be an ISO-8601 date-time with a timezone, e.g. 2026-07-02T22:04:11Z.",
            code="invalid_datetime",
            field=field,
        ) from exc


def committed_changes(queryset: QuerySet) -> QuerySet:
    """Restrict to rows whose change is safely behind every in-flight transaction (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return queryset
    own_xid, watermark = _PG_WATERMARK
    # The caller's own uncommitted writes are visible to it (tests, admin previews).
    return queryset.filter(Q(change_seq__lt=RawSQL(watermark, [])) | Q(change_seq=RawSQL(own_xid, [])))


def paginate(request, queryset: QuerySet, *, since_field: str = "updated_at") -> Page:
    """Apply `updated_since`, `cursor` and `limit` from the query string to a change-tracked queryset."""
    params = request.query_params if hasattr(request, "query_params") else request.GET
    limit = parse_limit(params.get("limit"))
    since = parse_timestamp(params.get("updated_since"), "updated_since")
    queryset = committed_changes(queryset)
    if since is not None:
        queryset = queryset.filter(**{f"{since_field}__gte": since})
    cursor = params.get("cursor")
    if cursor:
        seq, row_id = decode_cursor(cursor)
        table = queryset.model._meta.db_table
        # A row-value comparison lets the (…, change_seq, id) index serve the page directly.
        queryset = queryset.extra(where=[f'("{table}"."change_seq", "{table}"."id") > (%s, %s)'], params=[seq, row_id])
    rows = list(queryset.order_by("change_seq", "id")[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    # An empty page leaves the client's position where it was.
    resume = encode_cursor(rows[-1].change_seq, rows[-1].id) if rows else (cursor or None)
    return Page(rows=rows, next_cursor=resume if has_more else None, resume_cursor=resume, has_more=has_more)
