"""The operator's inventory polling policy: full scans at most once per approved interval.

A full scan is the first page of GET /v1/inventory with neither
`updated_since` nor `sku` nor `cursor`: it walks every SKU and drives
bandwidth. Incremental polls (`updated_since`, or resuming from a cursor) and
single-SKU checks are never limited by this policy.

The interval comes from `tenants.selectors.inventory_full_poll_interval`
(2 h by default for live connections, none for sandbox, or what staff
approved for the connection). The time of the last allowed full scan is kept
on the connection and claimed with one conditional UPDATE, so two concurrent
full scans cannot both pass.
"""

from __future__ import annotations

import math

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from config.api.errors import RateLimited
from tenants.models import ApiConnection, PolicyEvent
from tenants.selectors import inventory_full_poll_interval
from tenants.services import policy_event_record


def inventory_full_poll_claim(*, connection: ApiConnection, now=None) -> None:
    """Allow a full inventory scan for this connection now, or raise 429 `inventory_poll_too_frequent`.

    Allowed scans record their time on the connection; refusals record an
    INVENTORY_POLL_REFUSED policy event and carry Retry-After.
    """
    interval = inventory_full_poll_interval(connection)
    if interval.total_seconds() <= 0:
        return
    now = now or timezone.now()
    with transaction.atomic():
        claimed = (
            ApiConnection.objects.filter(pk=connection.pk)
            .filter(Q(last_full_inventory_poll_at__isnull=True) | Q(last_full_inventory_poll_at__lte=now - interval))
            .update(last_full_inventory_poll_at=now)
        )
        if claimed:
            return
        last = ApiConnection.objects.filter(pk=connection.pk).values_list("last_full_inventory_poll_at", flat=True)[0]
        retry_after = max(1, math.ceil((last + interval - now).total_seconds()))
        policy_event_record(
            tenant=connection.tenant,
            connection=connection,
            kind=PolicyEvent.Kind.INVENTORY_POLL_REFUSED,
            interval_seconds=int(interval.total_seconds()),
            retry_after_seconds=retry_after,
        )
    raise RateLimited(
        f"A full inventory scan is allowed once every {int(interval.total_seconds())} seconds for this connection. "
        "Poll with updated_since (or your resume_cursor) for changes, or ?sku= for one item.",
        code="inventory_poll_too_frequent",
        retry_after=retry_after,
    )
