"""The one way stock changes: lock the cells, apply deltas, check invariants, write the ledger.

Every caller (allocation, shipping, voids, receipts, adjustments, returns,
the sandbox) describes its change as `StockDelta`s and calls `stock_apply`
inside its own transaction. Cells are locked with SELECT … FOR UPDATE in
primary-key order, so two transactions touching overlapping cells always
queue in the same order and cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fulfillment.errors import StockInvariantViolated
from fulfillment.models import InventoryRecord, StockLevel, StockMovement
from tenants.models import Tenant


@dataclass(frozen=True)
class StockDelta:
    """A signed change to one (product, warehouse) cell."""

    product_id: int
    warehouse_id: int
    on_hand: int = 0
    allocated: int = 0
    incoming: int = 0
    backordered: int = 0

    @property
    def is_zero(self) -> bool:
        return not (self.on_hand or self.allocated or self.incoming or self.backordered)


def stock_cells_lock(
    *, tenant: Tenant, environment: str, cells: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], StockLevel]:
    """Create missing cells, then lock them all in id order. Returns {(product_id, warehouse_id): StockLevel}.

    Only cells that do not exist yet are inserted: an INSERT … ON CONFLICT on a
    cell another transaction has just created would wait outside the id order
    and could deadlock. Exactly the requested cells are locked, nothing more.
    """
    cells = sorted(set(cells))
    if not cells:
        return {}
    exact = Q()
    for product_id, warehouse_id in cells:
        exact |= Q(product_id=product_id, warehouse_id=warehouse_id)
    scoped = StockLevel.objects.filter(exact, tenant=tenant, environment=environment)
    existing = set(scoped.values_list("product_id", "warehouse_id"))
    missing = [cell for cell in cells if cell not in existing]
    if missing:
        StockLevel.objects.bulk_create(
            [StockLevel(tenant=tenant, environment=environment, product_id=p, warehouse_id=w) for p, w in missing],
            ignore_conflicts=True,
        )
    rows = scoped.select_for_update(of=("self",)).order_by("id")
    return {(r.product_id, r.warehouse_id): r for r in rows}


def stock_apply(
    *,
    tenant: Tenant,
    environment: str,
    deltas: Iterable[StockDelta],
    reason: str,
    source_type: str = "",
    source_id: str = "",
    actor: str = "",
    note: str = "",
    locked: dict[tuple[int, int], StockLevel] | None = None,
) -> dict[tuple[int, int], StockLevel]:
    """Apply signed deltas to stock cells atomically, writing one ledger row per changed cell.

    Must run inside the caller's transaction. Raises StockInvariantViolated
    (nothing is written) if any cell would go negative or allocate beyond on_hand.
    Pass `locked` when the caller already holds the cells (from stock_cells_lock).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("stock_apply must run inside a transaction")
    merged: dict[tuple[int, int], list[int]] = {}
    for d in deltas:
        if d.is_zero:
            continue
        acc = merged.setdefault((d.product_id, d.warehouse_id), [0, 0, 0, 0])
        acc[0] += d.on_hand
        acc[1] += d.allocated
        acc[2] += d.incoming
        acc[3] += d.backordered
    merged = {k: v for k, v in merged.items() if any(v)}
    if not merged:
        return locked or {}
    cells = dict(locked or {})
    missing = [k for k in merged if k not in cells]
    if missing:
        cells.update(stock_cells_lock(tenant=tenant, environment=environment, cells=missing))

    for key, (on_hand, allocated, incoming, backordered) in merged.items():
        cell = cells[key]
        new = (
            cell.on_hand + on_hand,
            cell.allocated + allocated,
            cell.incoming + incoming,
            cell.backordered + backordered,
        )
        if min(new) < 0 or new[1] > new[0]:
            raise StockInvariantViolated(
                f"Stock for product {cell.product_id} at warehouse {cell.warehouse_id} would become "
                f"on_hand={new[0]}, allocated={new[1]}, incoming={new[2]}, backordered={new[3]}.",
                field="quantity",
            )

    movements = []
    now = timezone.now()
    for key, (on_hand, allocated, incoming, backordered) in merged.items():
        cell = cells[key]
        cell.on_hand += on_hand
        cell.allocated += allocated
        cell.incoming += incoming
        cell.backordered += backordered
        cell.updated_at = now
        movements.append(
            StockMovement(
                tenant=tenant,
                environment=environment,
                product_id=cell.product_id,
                warehouse_id=cell.warehouse_id,
                reason=reason,
                delta_on_hand=on_hand,
                delta_allocated=allocated,
                delta_incoming=incoming,
                delta_backordered=backordered,
                on_hand_after=cell.on_hand,
                allocated_after=cell.allocated,
                incoming_after=cell.incoming,
                backordered_after=cell.backordered,
                source_type=source_type,
                source_id=source_id,
                actor=actor,
                note=note,
            )
        )
    StockLevel.objects.bulk_update(
        [cells[k] for k in merged], ["on_hand", "allocated", "incoming", "backordered", "updated_at"]
    )
    StockMovement.objects.bulk_create(movements)
    inventory_records_touch(tenant=tenant, environment=environment, product_ids={p for p, _ in merged}, now=now)
    inventory_updated_emit(tenant=tenant, environment=environment, product_ids={p for p, _ in merged})
    return cells


def inventory_updated_emit(*, tenant: Tenant, environment: str, product_ids: set[int]) -> None:
    """Emit `inventory.updated` once per product whose stock changed, with the §3 object (two queries in all)."""
    # Imported here: the webhooks app renders fulfillment objects, so a module-level import could cycle.
    from fulfillment.presenters.inventory import inventory_data
    from fulfillment.selectors.inventory import inventory_records_for_products
    from webhooks.services import event_emit

    for record in inventory_records_for_products(tenant=tenant, environment=environment, product_ids=product_ids):
        event_emit(tenant=tenant, environment=environment, event_type="inventory.updated", data=inventory_data(record))


def inventory_records_touch(*, tenant: Tenant, environment: str, product_ids: set[int], now=None) -> None:
    """Move each product's inventory feed row (creating it if needed): its stock changed."""
    now = now or timezone.now()
    InventoryRecord.objects.bulk_create(
        [InventoryRecord(tenant=tenant, environment=environment, product_id=p) for p in product_ids],
        ignore_conflicts=True,
    )
    InventoryRecord.objects.filter(tenant=tenant, environment=environment, product_id__in=product_ids).update(
        updated_at=now
    )
