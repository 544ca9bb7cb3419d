"""Orders: create (with allocation), amend before pick, cancel, the status machine, and backorder allocation.

Every status change of an order, from any entry point (API, admin, sandbox,
shipments, tasks), goes through `ORDER_TRANSITIONS`: `order_transition` for
plain moves, and `order_cancel` / `order_amend` / `backorders_allocate` which
check the same table. Each change locks the order row first (then stock cells,
via stock_apply, in id order), bumps `version`, writes an OrderHistory row and
emits an event in the same transaction.

Lock order, to stay deadlock-free: order row(s) → stock cells. The one path that
may already hold stock cells when it wants orders (`backorders_allocate`, called
after receipts) takes order rows with SKIP LOCKED: an order another transaction
is changing is left for that transaction (which re-allocates it itself) or for
the next stock arrival.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from config.api.errors import Conflict, PermissionDenied, ValidationFailed
from fulfillment.idempotency import request_hash
from fulfillment.models import (
    Order,
    OrderHistory,
    OrderLine,
    OrderStatus,
    Product,
    ShippingMethod,
    StockLevel,
    StockMovement,
    Warehouse,
)
from fulfillment.presenters.orders import order_data
from fulfillment.selectors import warehouses_for_tenant
from fulfillment.selectors.orders import order_reload
from fulfillment.services.stock import StockDelta, stock_apply, stock_cells_lock
from tenants.models import ApiConnection, Tenant
from webhooks.services import event_emit

S = OrderStatus

# The one status machine. Keys: from-status; values: the statuses it may move to.
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.PROCESSING, S.ON_HOLD, S.BACKORDERED, S.CANCELLED, S.PARTIALLY_SHIPPED, S.SHIPPED}),
    S.BACKORDERED: frozenset({S.RECEIVED, S.ON_HOLD, S.CANCELLED, S.PARTIALLY_SHIPPED, S.SHIPPED}),
    S.PROCESSING: frozenset({S.ON_HOLD, S.PARTIALLY_SHIPPED, S.SHIPPED}),
    S.ON_HOLD: frozenset({S.RECEIVED, S.BACKORDERED, S.PROCESSING, S.CANCELLED}),
    # Back to processing / partially_shipped only when a shipment's label is voided (it never left).
    S.PARTIALLY_SHIPPED: frozenset({S.SHIPPED, S.PROCESSING}),
    S.SHIPPED: frozenset({S.PARTIALLY_SHIPPED, S.PROCESSING}),
    S.CANCELLED: frozenset(),
}

# Before picking starts the ERP may still amend or cancel.
PRE_PICK_STATUSES = frozenset({S.RECEIVED, S.BACKORDERED})

ORDER_FIELDS = (
    "order_number",
    "order_date",
    "signature_required",
    "insurance",
    "gift_message",
    "packing_note",
)
SHIP_TO_FIELDS = ("name", "company", "email", "phone", "address1", "address2", "city", "state", "postcode", "country")


# --- the status machine -------------------------------------------------------


def order_transition_check(*, order: Order, to_status: str) -> None:
    """Raise 409 invalid_status_transition unless ORDER_TRANSITIONS allows order.status → to_status."""
    if to_status not in ORDER_TRANSITIONS.get(order.status, frozenset()):
        raise Conflict(
            f"An order that is {order.status} cannot become {to_status}.",
            code="invalid_status_transition",
            order_status=order.status,
        )


def _order_lock(order: Order | int) -> Order:
    pk = order if isinstance(order, int) else order.pk
    return Order.objects.select_for_update().get(pk=pk)


def _history(order: Order, *, kind: str, from_status="", to_status="", changes=None, actor_label="", actor_user=None):
    OrderHistory.objects.create(
        order=order,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        version=order.version,
        changes=changes or {},
        actor_label=actor_label,
        actor_user=actor_user,
    )


def _bump_and_emit(order: Order, *, event_type: str = "order.updated", fields: Iterable[str] = ()) -> Order:
    """Save the changed fields with a new version, then emit the event with the presenter's output."""
    order.version += 1
    order.save(update_fields=["version", "updated_at", *fields])
    fresh = order_reload(order.pk)
    event_emit(tenant=order.tenant, environment=order.environment, event_type=event_type, data=order_data(fresh))
    return fresh


def _apply_status(order: Order, to_status: str) -> list[str]:
    """Set the status on a locked order (already checked); keeps what a hold paused. Returns changed fields."""
    if to_status == S.ON_HOLD:
        order.status_before_hold = order.status
    elif order.status == S.ON_HOLD:
        order.status_before_hold = ""
    order.status = to_status
    return ["status", "status_before_hold"]


@transaction.atomic
def order_transition(
    *,
    order: Order,
    to_status: str,
    actor_label: str,
    actor_user=None,
    changes: dict | None = None,
    kind: str = "status_changed",
) -> Order:
    """Move an order to `to_status` if ORDER_TRANSITIONS allows it; returns the fresh order.

    Locks the order row, checks the transition against its current status (not
    the caller's possibly stale copy), bumps `version`, writes an OrderHistory
    row (`kind`, from/to status, `changes`, actor) and emits `order.updated`.
    Shipments call it with PARTIALLY_SHIPPED / SHIPPED (legal from received,
    backordered, processing, and partially_shipped → shipped); a voided label
    may move shipped → partially_shipped/processing. Cancelling
    goes through `order_cancel`, which also releases stock; moving to
    CANCELLED here delegates to it.
    """
    if to_status == S.CANCELLED:
        return order_cancel(order=order, actor_label=actor_label, actor_user=actor_user)
    locked = _order_lock(order)
    order_transition_check(order=locked, to_status=to_status)
    from_status = locked.status
    fields = _apply_status(locked, to_status)
    fresh = _bump_and_emit(locked, fields=fields)
    _history(
        fresh,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        changes=changes,
        actor_label=actor_label,
        actor_user=actor_user,
    )
    return fresh


def order_hold(*, order: Order, actor_label: str, actor_user=None, reason: str = "") -> Order:
    """Pause an order (stock or address problem); `order_release_hold` resumes where it was."""
    return order_transition(
        order=order,
        to_status=S.ON_HOLD,
        actor_label=actor_label,
        actor_user=actor_user,
        changes={"reason": reason} if reason else None,
        kind="hold",
    )


@transaction.atomic
def order_release_hold(*, order: Order, actor_label: str, actor_user=None) -> Order:
    """Resume a held order at the status it had before (backordered if it still lacks stock)."""
    locked = _order_lock(order)
    if locked.status != S.ON_HOLD:
        raise Conflict("The order is not on hold.", code="invalid_status_transition", order_status=locked.status)
    target = locked.status_before_hold or S.RECEIVED
    if target in PRE_PICK_STATUSES:
        target = S.BACKORDERED if locked.lines.filter(quantity_backordered__gt=0).exists() else S.RECEIVED
    return order_transition(
        order=locked, to_status=target, actor_label=actor_label, actor_user=actor_user, kind="release"
    )


def order_start_picking(*, order: Order, actor_label: str, actor_user=None) -> Order:
    """The warehouse starts picking (received → processing). From now on the ERP can neither amend nor cancel."""
    return order_transition(
        order=order, to_status=S.PROCESSING, actor_label=actor_label, actor_user=actor_user, kind="picking_started"
    )


def order_api_policy_check(*, tenant: Tenant, operation: str) -> None:
    """The operator's per-tenant switches: some clients may not amend or cancel through the API (403)."""
    allowed = {"amend": tenant.api_amend_allowed, "cancel": tenant.api_cancel_allowed}[operation]
    if not allowed:
        raise PermissionDenied(
            f"Your account may not {operation} orders through the API; contact the warehouse.",
            code="operation_not_permitted",
        )


# --- lookups shared by create and amend ---------------------------------------


def _warehouse_resolve(tenant: Tenant, warehouse_id: str) -> Warehouse:
    warehouse = warehouses_for_tenant(tenant).filter(public_id=warehouse_id).first()
    if warehouse is None:
        raise ValidationFailed(
            f"warehouse_id '{warehouse_id}' is not a known warehouse.", code="invalid_warehouse", field="warehouse_id"
        )
    return warehouse


def _shipping_method_resolve(data: dict) -> tuple[bool, ShippingMethod | None]:
    """(given, method) from shipping_method_id, else from a free-text shipping_method name (blueprint fallback)."""
    active = ShippingMethod.objects.filter(is_active=True)
    method_id = data.get("shipping_method_id")
    if method_id:
        method = active.filter(public_id=method_id).first()
        if method is None:
            raise ValidationFailed(
                f"shipping_method_id '{method_id}' is not a known shipping method.",
                code="invalid_shipping_method",
                field="shipping_method_id",
            )
        return True, method
    text = (data.get("shipping_method") or "").strip()
    if text:
        exact = list(active.filter(Q(name__iexact=text) | Q(public_id__iexact=text) | Q(service_code__iexact=text)))
        candidates = exact or list(active.filter(name__istartswith=text))
        if len(candidates) != 1:
            raise ValidationFailed(
                f"shipping_method '{text}' does not name exactly one shipping method; send shipping_method_id.",
                code="invalid_shipping_method",
                field="shipping_method",
            )
        return True, candidates[0]
    if "shipping_method_id" in data or "shipping_method" in data:
        return True, None
    return False, None


def _products_resolve(tenant: Tenant, environment: str, items: list[dict]) -> dict[str, Product]:
    skus = {item["sku"] for item in items}
    products = {
        p.sku: p
        for p in Product.objects.filter(tenant=tenant, environment=environment, sku__in=skus, deleted_at__isnull=True)
    }
    for index, item in enumerate(items):
        if item["sku"] not in products:
            raise ValidationFailed(
                f"SKU '{item['sku']}' is not in your product catalogue.",
                code="unknown_sku",
                field=f"items[{index}].sku",
            )
    return products


def _lines_build(order: Order, items: list[dict], products: dict[str, Product]) -> list[OrderLine]:
    return [
        OrderLine(
            order=order,
            line_number=number,
            product=products[item["sku"]],
            sku=item["sku"],
            description=item.get("description") or products[item["sku"]].description or None,
            quantity=item["quantity"],
            unit_price=item.get("unit_price"),
            currency=item.get("currency") or None,
        )
        for number, item in enumerate(items, start=1)
    ]


# --- allocation ---------------------------------------------------------------


def _cells_lock(order: Order, product_ids: Iterable[int]) -> dict[tuple[int, int], StockLevel]:
    return stock_cells_lock(
        tenant=order.tenant,
        environment=order.environment,
        cells=[(p, order.warehouse_id) for p in product_ids],
    )


def _allocate(order: Order, lines: list[OrderLine], cells, actor: str) -> None:
    """Reserve what is available for each line (in line order); the shortfall is backordered."""
    available = {key: cell.on_hand - cell.allocated for key, cell in cells.items()}
    allocations, backorders = [], []
    for line in lines:
        key = (line.product_id, order.warehouse_id)
        take = max(0, min(line.quantity, available[key]))
        available[key] -= take
        line.quantity_allocated = take
        line.quantity_backordered = line.quantity - take
        allocations.append(StockDelta(product_id=line.product_id, warehouse_id=order.warehouse_id, allocated=take))
        backorders.append(
            StockDelta(
                product_id=line.product_id, warehouse_id=order.warehouse_id, backordered=line.quantity_backordered
            )
        )
    common = {"tenant": order.tenant, "environment": order.environment, "source_type": "order", "actor": actor}
    stock_apply(
        **common, deltas=allocations, reason=StockMovement.Reason.ALLOCATION, source_id=order.public_id, locked=cells
    )
    stock_apply(
        **common, deltas=backorders, reason=StockMovement.Reason.BACKORDER, source_id=order.public_id, locked=cells
    )


def _release(order: Order, lines: list[OrderLine], cells, actor: str) -> None:
    """Give back the lines' allocation and withdraw their backordered demand."""
    deltas = [
        StockDelta(
            product_id=line.product_id,
            warehouse_id=order.warehouse_id,
            allocated=-line.quantity_allocated,
            backordered=-line.quantity_backordered,
        )
        for line in lines
    ]
    stock_apply(
        tenant=order.tenant,
        environment=order.environment,
        deltas=deltas,
        reason=StockMovement.Reason.DEALLOCATION,
        source_type="order",
        source_id=order.public_id,
        actor=actor,
        locked=cells,
    )
    for line in lines:
        line.quantity_allocated = 0
        line.quantity_backordered = 0


def _status_for_stock(lines: list[OrderLine]) -> str:
    return S.BACKORDERED if any(line.quantity_backordered for line in lines) else S.RECEIVED


# --- create -------------------------------------------------------------------


def order_create(
    *,
    tenant: Tenant,
    environment: str,
    data: dict,
    connection: ApiConnection | None = None,
    actor_label: str = "",
) -> tuple[Order, bool]:
    """Create an order from validated input and allocate its stock. Returns (order, created).

    `data` is OrderCreateIn's validated data (blueprint §1 request). The
    reference is unique per tenant and environment: the same payload again
    returns the existing order (created=False); a different payload is 409
    duplicate_reference naming `existing_id`. Refusals (422 invalid_warehouse,
    invalid_shipping_method, unknown_sku) write nothing. Stock is reserved at the
    order's warehouse; any shortfall is backordered and the order is `backordered`.
    Emits order.created.
    """
    digest = request_hash(data)
    existing = Order.objects.filter(tenant=tenant, environment=environment, reference=data["reference"]).first()
    if existing is not None:
        return _existing_for_reference(existing, digest), False
    warehouse = _warehouse_resolve(tenant, data["warehouse_id"])
    _, method = _shipping_method_resolve(data)
    products = _products_resolve(tenant, environment, data["items"])
    ship_to = data["ship_to"]
    try:
        with transaction.atomic():
            order = Order.objects.create(
                tenant=tenant,
                environment=environment,
                order_number=data["order_number"],
                reference=data["reference"],
                order_date=data.get("order_date"),
                warehouse=warehouse,
                shipping_method=method,
                signature_required=data.get("signature_required", False),
                insurance=data.get("insurance", False),
                gift_message=data.get("gift_message"),
                packing_note=data.get("packing_note"),
                created_by_connection=connection,
                create_request_hash=digest,
                **{f"ship_to_{name}": ship_to.get(name) for name in SHIP_TO_FIELDS},
            )
            lines = _lines_build(order, data["items"], products)
            cells = _cells_lock(order, {line.product_id for line in lines})
            _allocate(order, lines, cells, actor_label)
            OrderLine.objects.bulk_create(lines)
            status = _status_for_stock(lines)
            if status != order.status:
                order.status = status
                order.save(update_fields=["status", "updated_at"])
            _history(
                order,
                kind="created",
                to_status=order.status,
                changes={"reference": order.reference, "items": len(lines)},
                actor_label=actor_label,
            )
            fresh = order_reload(order.pk)
            event_emit(tenant=tenant, environment=environment, event_type="order.created", data=order_data(fresh))
            return fresh, True
    except IntegrityError:
        # A concurrent create with the same reference committed first: answer as if we had come second.
        existing = Order.objects.filter(tenant=tenant, environment=environment, reference=data["reference"]).first()
        if existing is None:
            raise
        return _existing_for_reference(existing, digest), False


def _existing_for_reference(existing: Order, digest: str) -> Order:
    if existing.create_request_hash != digest:
        raise Conflict(
            f"An order with reference '{existing.reference}' already exists with different details.",
            code="duplicate_reference",
            field="reference",
            existing_id=existing.public_id,
        )
    return order_reload(existing.pk)


# --- amend --------------------------------------------------------------------


def _amendable_check(order: Order) -> None:
    """Amendments are for orders nobody has started picking (a hold keeps what it paused)."""
    status = order.status_before_hold if order.status == S.ON_HOLD else order.status
    if status not in PRE_PICK_STATUSES:
        raise Conflict(
            "Order is being picked; cancel to change it."
            if status == S.PROCESSING
            else f"An order that is {order.status} can no longer be amended.",
            code="too_late_to_amend",
            order_status=order.status,
        )


@transaction.atomic
def order_amend(
    *,
    order: Order,
    changes: dict,
    expected_version: int | None,
    actor_label: str,
    actor_user=None,
) -> Order:
    """Apply an amendment before picking (blueprint PATCH /v1/orders/{id}); returns the fresh order.

    `changes` is OrderAmendIn's validated data: only the keys present change.
    `ship_to` keys are merged into the address; `items` replaces every line and
    re-does the allocation in this transaction. `expected_version` (from
    If-Match) must equal the current version, else 409 version_conflict; None
    skips the check (a PATCH without If-Match is applied). 409 too_late_to_amend
    (with order_status) once picking started; 422 warehouse_change_not_allowed.
    Bumps version, records what changed in the history, emits order.updated.
    """
    order = _order_lock(order)
    _amendable_check(order)
    if expected_version is not None and expected_version != order.version:
        raise Conflict(
            f"The order is at version {order.version}, not {expected_version}; re-read it and retry.",
            code="version_conflict",
            current_version=str(order.version),
        )
    warehouse_id = changes.get("warehouse_id")
    if warehouse_id is not None and warehouse_id != order.warehouse.public_id:
        raise ValidationFailed(
            "The warehouse of an order cannot change (it forces re-allocation): cancel it and create a new one.",
            code="warehouse_change_not_allowed",
            field="warehouse_id",
        )
    diff: dict[str, list] = {}
    fields: list[str] = []

    def change(attr: str, value, label: str | None = None):
        old = getattr(order, attr)
        if old != value:
            diff[label or attr] = [_jsonable(old), _jsonable(value)]
            setattr(order, attr, value)
            fields.append(attr)

    given, method = _shipping_method_resolve(changes)
    if given and order.shipping_method_id != (method.pk if method else None):
        diff["shipping_method_id"] = [
            order.shipping_method.public_id if order.shipping_method else None,
            method.public_id if method else None,
        ]
        order.shipping_method = method
        fields.append("shipping_method")
    for name in ORDER_FIELDS:
        if name in changes:
            change(name, changes[name])
    for name, value in (changes.get("ship_to") or {}).items():
        change(f"ship_to_{name}", value, f"ship_to.{name}")

    freed: set[int] = set()
    if "items" in changes:
        products = _products_resolve(order.tenant, order.environment, changes["items"])
        old_lines = list(order.lines.all())
        new_lines = _lines_build(order, changes["items"], products)
        before = [_line_summary(line) for line in old_lines]
        after = [_line_summary(line) for line in new_lines]
        # The same lines again change nothing (and keep their place in the allocation queue).
        if before != after:
            diff["items"] = [before, after]
            cells = _cells_lock(order, {line.product_id for line in [*old_lines, *new_lines]})
            _release(order, old_lines, cells, actor_label)
            OrderLine.objects.filter(order=order).delete()
            _allocate(order, new_lines, cells, actor_label)
            OrderLine.objects.bulk_create(new_lines)
            target = _status_for_stock(new_lines)
            if order.status == S.ON_HOLD:
                order.status_before_hold = target
                fields.append("status_before_hold")
            elif target != order.status:
                order_transition_check(order=order, to_status=target)
                diff["status"] = [order.status, target]
                order.status = target
                fields.append("status")
            freed = {line.product_id for line in old_lines}

    if not diff:
        # Nothing differs from what is stored: no new version, no history row, no event.
        return order_reload(order.pk)
    from_status = order.status
    fresh = _bump_and_emit(order, fields=fields)
    _history(
        fresh,
        kind="amended",
        from_status=from_status if "status" not in diff else diff["status"][0],
        to_status=fresh.status,
        changes=diff,
        actor_label=actor_label,
        actor_user=actor_user,
    )
    if freed:
        # Units this order no longer needs may complete older backorders.
        backorders_allocate(
            tenant=order.tenant, environment=order.environment, warehouse_id=order.warehouse_id, product_ids=freed
        )
        fresh = order_reload(order.pk)
    return fresh


def _line_summary(line: OrderLine) -> dict:
    return {
        "sku": line.sku,
        "quantity": line.quantity,
        "unit_price": _jsonable(line.unit_price),
        "currency": line.currency,
        "description": line.description,
    }


def _jsonable(value):
    if value is None or isinstance(value, (str, int, bool, float)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# --- cancel -------------------------------------------------------------------


@transaction.atomic
def order_cancel(*, order: Order, actor_label: str, actor_user=None, reason: str = "") -> Order:
    """Cancel an order before picking, releasing its allocation and backorders; returns the fresh order.

    A second cancel returns the cancelled order unchanged. 409 already_shipped
    once anything shipped; 409 too_late_to_cancel once picking started
    (processing, or on hold after picking started). Emits order.cancelled.
    """
    order = _order_lock(order)
    if order.status == S.CANCELLED:
        return order_reload(order.pk)
    lines = list(order.lines.all())
    if order.status in (S.PARTIALLY_SHIPPED, S.SHIPPED) or any(line.quantity_shipped for line in lines):
        raise Conflict("Order has shipped.", code="already_shipped", order_status=order.status)
    effective = order.status_before_hold if order.status == S.ON_HOLD else order.status
    if effective not in PRE_PICK_STATUSES:
        raise Conflict(
            "Order is being picked; it can no longer be cancelled.",
            code="too_late_to_cancel",
            order_status=order.status,
        )
    order_transition_check(order=order, to_status=S.CANCELLED)
    cells = _cells_lock(order, {line.product_id for line in lines})
    _release(order, lines, cells, actor_label)
    OrderLine.objects.bulk_update(lines, ["quantity_allocated", "quantity_backordered"])
    from_status = order.status
    fields = _apply_status(order, S.CANCELLED)
    order.cancelled_at = timezone.now()
    fresh = _bump_and_emit(order, event_type="order.cancelled", fields=[*fields, "cancelled_at"])
    _history(
        fresh,
        kind="cancelled",
        from_status=from_status,
        to_status=S.CANCELLED,
        changes={"reason": reason} if reason else None,
        actor_label=actor_label,
        actor_user=actor_user,
    )
    backorders_allocate(
        tenant=order.tenant,
        environment=order.environment,
        warehouse_id=order.warehouse_id,
        product_ids={line.product_id for line in lines},
    )
    return fresh


# --- backorders ---------------------------------------------------------------


@transaction.atomic
def backorders_allocate(
    *,
    tenant: Tenant,
    environment: str,
    warehouse_id: int,
    product_ids: Iterable[int],
    actor_label: str = "system:backorders",
) -> list[Order]:
    """Allocate newly available stock to backordered lines, oldest order first. Returns the orders changed.

    Call it inside your transaction after stock arrives (receipts, returns,
    adjustments, sandbox stock sets): `warehouse_id` and `product_ids` are
    primary keys (Warehouse.pk, Product.pk), as in StockDelta. Each order that
    gains stock gets a new version, a history row and order.updated; a
    backordered order whose lines are now fully allocated becomes received.
    Orders locked by another transaction right now are skipped (see module
    docstring); that transaction re-allocates them itself.
    """
    product_ids = set(product_ids)
    if not product_ids:
        return []
    waiting = (
        OrderLine.objects.filter(
            order__tenant=tenant,
            order__environment=environment,
            order__warehouse_id=warehouse_id,
            product_id__in=product_ids,
            quantity_backordered__gt=0,
        )
        .exclude(order__status__in=[S.CANCELLED, S.SHIPPED])
        .values_list("order_id", flat=True)
        .distinct()
    )
    order_ids = list(waiting)
    if not order_ids:
        return []
    orders = list(
        Order.objects.select_for_update(skip_locked=True)
        .filter(pk__in=order_ids)
        .exclude(status__in=[S.CANCELLED, S.SHIPPED])
        .order_by("created_at", "id")
    )
    if not orders:
        return []
    cells = stock_cells_lock(tenant=tenant, environment=environment, cells=[(p, warehouse_id) for p in product_ids])
    available = {key: cell.on_hand - cell.allocated for key, cell in cells.items()}
    lines_by_order: dict[int, list[OrderLine]] = defaultdict(list)
    for line in OrderLine.objects.filter(
        order__in=orders, product_id__in=product_ids, quantity_backordered__gt=0
    ).order_by("line_number"):
        lines_by_order[line.order_id].append(line)

    changed = []
    for order in orders:
        deltas, touched = [], []
        for line in lines_by_order.get(order.pk, []):
            key = (line.product_id, warehouse_id)
            take = max(0, min(line.quantity_backordered, available.get(key, 0)))
            if not take:
                continue
            available[key] -= take
            line.quantity_allocated += take
            line.quantity_backordered -= take
            touched.append(line)
            deltas.append(
                StockDelta(product_id=line.product_id, warehouse_id=warehouse_id, allocated=take, backordered=-take)
            )
        if not touched:
            continue
        stock_apply(
            tenant=tenant,
            environment=environment,
            deltas=deltas,
            reason=StockMovement.Reason.ALLOCATION,
            source_type="order",
            source_id=order.public_id,
            actor=actor_label,
            locked=cells,
        )
        OrderLine.objects.bulk_update(touched, ["quantity_allocated", "quantity_backordered"])
        still_short = OrderLine.objects.filter(order=order, quantity_backordered__gt=0).exists()
        from_status = order.status
        fields: list[str] = []
        if not still_short and order.status == S.BACKORDERED:
            order_transition_check(order=order, to_status=S.RECEIVED)
            fields = _apply_status(order, S.RECEIVED)
        elif not still_short and order.status == S.ON_HOLD and order.status_before_hold == S.BACKORDERED:
            order.status_before_hold = S.RECEIVED
            fields = ["status_before_hold"]
        fresh = _bump_and_emit(order, fields=fields)
        _history(
            fresh,
            kind="allocated",
            from_status=from_status,
            to_status=fresh.status,
            changes={"allocated": {line.sku: line.quantity_allocated for line in touched}},
            actor_label=actor_label,
        )
        changed.append(fresh)
    return changed
