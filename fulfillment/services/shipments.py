"""Shipments: ship an order (one or more parcels, all or part of it), carrier status updates, voids.

Every path that ships — the warehouse in admin, the sandbox simulator, the
auto-ship sweeper — calls these functions, so stock, order status, events and
the shipments feed always move together.

Locking: a write that changes an order's shipped quantities locks the ORDER
row first (SELECT … FOR UPDATE) and then the stock cells (inside stock_apply,
in id order). The order's cancel locks the same order row first, so a ship and
a cancel of one order queue behind each other and exactly one of them wins.

Line quantities: `OrderLine.quantity_allocated` is what is reserved and still
on the shelf; shipping moves units from allocated to `quantity_shipped`, and a
void moves them back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from config.api.errors import Conflict, NotFound, ValidationFailed
from fulfillment.models import (
    Carrier,
    Order,
    OrderLine,
    OrderStatus,
    Parcel,
    Shipment,
    ShipmentItem,
    ShipmentStatus,
    StockMovement,
)
from fulfillment.presenters.shipments import SHIPMENT_PREFETCH, SHIPMENT_SELECT, shipment_data
from fulfillment.services.stock import StockDelta, stock_apply
from tenants.models import Tenant
from webhooks.services import event_emit

# Orders in these states may ship (more). Anything else — cancelled, on hold,
# fully shipped, nothing allocated yet — is refused with a 409.
SHIPPABLE_ORDER_STATUSES = frozenset(
    {OrderStatus.RECEIVED, OrderStatus.PROCESSING, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.BACKORDERED}
)

# The carrier's lifecycle. `exception` can be raised from any moving state and
# resolved onwards; delivered and voided are final. Voiding has its own service.
SHIPMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    ShipmentStatus.SHIPPED: frozenset(
        {
            ShipmentStatus.IN_TRANSIT,
            ShipmentStatus.OUT_FOR_DELIVERY,
            ShipmentStatus.DELIVERED,
            ShipmentStatus.EXCEPTION,
        }
    ),
    ShipmentStatus.IN_TRANSIT: frozenset(
        {ShipmentStatus.OUT_FOR_DELIVERY, ShipmentStatus.DELIVERED, ShipmentStatus.EXCEPTION}
    ),
    ShipmentStatus.OUT_FOR_DELIVERY: frozenset(
        {ShipmentStatus.IN_TRANSIT, ShipmentStatus.DELIVERED, ShipmentStatus.EXCEPTION}
    ),
    ShipmentStatus.EXCEPTION: frozenset(
        {ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY, ShipmentStatus.DELIVERED}
    ),
    ShipmentStatus.DELIVERED: frozenset(),
    ShipmentStatus.VOIDED: frozenset(),
}

# A label can be voided only while the box is still with us (the units go back on the shelf).
VOIDABLE_STATUSES = frozenset({ShipmentStatus.SHIPPED, ShipmentStatus.EXCEPTION})


@dataclass(frozen=True)
class ParcelSpec:
    """One physical box to ship: its own tracking number, carrier and service, optional weight and dimensions."""

    tracking_number: str
    carrier: Carrier
    service: str
    weight_value: Decimal | None = None
    weight_unit: str = ""
    length: Decimal | None = None
    width: Decimal | None = None
    height: Decimal | None = None
    dimension_unit: str = ""


@dataclass(frozen=True)
class ShipItemSpec:
    """A quantity of one SKU of the order to ship."""

    sku: str
    quantity: int


def _orders_service():
    # Imported late: fulfillment.services.orders imports the order presenter, which imports the shipment presenter.
    from fulfillment.services import orders

    return orders


def shipment_fresh(shipment_id: int) -> Shipment:
    """Re-read a shipment with everything its presenter needs (after a change, for events and responses)."""
    return Shipment.objects.select_related(*SHIPMENT_SELECT).prefetch_related(*SHIPMENT_PREFETCH).get(pk=shipment_id)


def _emit(shipment: Shipment, event_type: str) -> Shipment:
    """Re-read the shipment after a change and write its event; every update also moves `version`.

    Changes to one shipment are serialised by its row lock, so versions follow commit order and a
    receiver that gets deliveries out of order can keep the highest version it has seen.
    """
    if event_type == "shipment.updated":
        Shipment.objects.filter(pk=shipment.pk).update(version=F("version") + 1)
    fresh = shipment_fresh(shipment.pk)
    event_emit(tenant=fresh.tenant, environment=fresh.environment, event_type=event_type, data=shipment_data(fresh))
    return fresh


def _lock_order(*, tenant: Tenant, environment: str, order_id: int) -> Order:
    order = (
        Order.objects.select_for_update(of=("self",))
        .filter(pk=order_id, tenant=tenant, environment=environment)
        .select_related("warehouse")
        .first()
    )
    if order is None:
        raise NotFound("No such order.", code="order_not_found")
    return order


def _plan_items(
    order: Order, lines: list[OrderLine], items: Sequence[ShipItemSpec] | None
) -> list[tuple[OrderLine, int]]:
    """Turn the requested items into (line, quantity) pairs, refusing what cannot ship."""
    if items is None:
        # Everything that is allocated and still on the shelf.
        plan = [(line, line.quantity_allocated) for line in lines if line.quantity_allocated > 0]
        if not plan:
            raise Conflict(
                "Nothing on this order is allocated and waiting to ship.",
                code="nothing_to_ship",
                order_status=order.status,
            )
        return plan
    if not items:
        raise ValidationFailed("Name at least one item to ship.", code="missing_field", field="items")
    wanted: dict[str, int] = {}
    first_index: dict[str, int] = {}
    for index, item in enumerate(items):
        if item.quantity < 1:
            raise ValidationFailed(
                "Quantity must be a positive whole number.", code="out_of_range", field=f"items[{index}].quantity"
            )
        wanted[item.sku] = wanted.get(item.sku, 0) + item.quantity
        first_index.setdefault(item.sku, index)
    by_sku: dict[str, list[OrderLine]] = {}
    for line in lines:
        by_sku.setdefault(line.sku, []).append(line)
    plan: list[tuple[OrderLine, int]] = []
    for sku, quantity in wanted.items():
        field = f"items[{first_index[sku]}]"
        sku_lines = by_sku.get(sku)
        if not sku_lines:
            raise ValidationFailed(f"SKU {sku} is not on this order.", code="sku_not_on_order", field=f"{field}.sku")
        remaining = sum(line.quantity - line.quantity_shipped for line in sku_lines)
        if quantity > remaining:
            raise Conflict(
                f"Only {remaining} of {sku} remain to ship on this order; {quantity} requested.",
                code="exceeds_ordered_quantity",
                field=f"{field}.quantity",
                remaining=remaining,
            )
        allocated = sum(line.quantity_allocated for line in sku_lines)
        if quantity > allocated:
            raise Conflict(
                f"Only {allocated} of {sku} are allocated and can ship; {quantity} requested.",
                code="not_allocated",
                field=f"{field}.quantity",
                allocated=allocated,
            )
        # Fill lines of the same SKU in line order.
        for line in sku_lines:
            take = min(quantity, line.quantity_allocated)
            if take:
                plan.append((line, take))
                quantity -= take
            if not quantity:
                break
    return plan


def _validate_parcels(parcels: Sequence[ParcelSpec]) -> None:
    if not parcels:
        raise ValidationFailed("A shipment needs at least one parcel.", code="missing_field", field="parcels")
    seen = set()
    for index, parcel in enumerate(parcels):
        number = (parcel.tracking_number or "").strip()
        if not number:
            raise ValidationFailed(
                "Every parcel needs a tracking number.",
                code="missing_field",
                field=f"parcels[{index}].tracking_number",
            )
        key = (parcel.carrier.pk, number)
        if key in seen:
            raise ValidationFailed(
                f"Tracking number {number} appears twice.",
                code="duplicate",
                field=f"parcels[{index}].tracking_number",
            )
        seen.add(key)
    numbers = [p.tracking_number.strip() for p in parcels]
    taken = (
        Parcel.objects.filter(tracking_number__in=numbers, carrier__in={p.carrier.pk for p in parcels})
        .values_list("tracking_number", flat=True)
        .first()
    )
    if taken:
        raise Conflict(
            f"Tracking number {taken} is already on another shipment.",
            code="duplicate_tracking_number",
            field=f"parcels[{numbers.index(taken)}].tracking_number",
        )


def _order_status_after(lines: list[OrderLine]) -> str | None:
    shipped = sum(line.quantity_shipped for line in lines)
    if shipped == 0:
        return None
    if all(line.quantity_shipped >= line.quantity for line in lines):
        return OrderStatus.SHIPPED
    return OrderStatus.PARTIALLY_SHIPPED


def _move_order(*, order: Order, to_status: str, actor_label: str, actor_user, changes: dict) -> None:
    """Move the order's status through the orders state machine or, if it stays, just move it in the feed.

    A void may need a move back (shipped → partially_shipped / processing). If
    the state machine does not allow it, the order keeps its status and only
    moves in the feed, rather than refusing the void: the units are back on
    the shelf either way.
    """
    orders = _orders_service()
    if order.status != to_status and to_status in orders.ORDER_TRANSITIONS.get(order.status, frozenset()):
        orders.order_transition(
            order=order, to_status=to_status, actor_label=actor_label, actor_user=actor_user, changes=changes
        )
    else:
        # Its shipments[] changed: the order must reappear in GET /v1/orders?updated_since.
        Order.objects.filter(pk=order.pk).update(updated_at=timezone.now())


def shipment_create(
    *,
    tenant: Tenant,
    environment: str,
    order_id: int,
    parcels: Sequence[ParcelSpec],
    items: Sequence[ShipItemSpec] | None = None,
    cost_amount: Decimal | None = None,
    cost_currency: str = "",
    shipped_at=None,
    actor_label: str,
    actor_user=None,
) -> Shipment:
    """Ship (part of) an order in one or more parcels.

    `items=None` ships everything allocated and not yet shipped. Lowers on_hand
    and allocated (ledger reason SHIPMENT), moves the lines' quantities from
    allocated to shipped, moves the order to partially_shipped or shipped and
    emits `shipment.created`. Refuses (409, nothing written) a cancelled or
    otherwise unshippable order and more than was ordered or allocated.
    """
    with transaction.atomic():
        order = _lock_order(tenant=tenant, environment=environment, order_id=order_id)
        if order.status == OrderStatus.CANCELLED:
            raise Conflict(
                "The order is cancelled; nothing on it can ship.", code="order_cancelled", order_status=order.status
            )
        lines = list(OrderLine.objects.filter(order=order).order_by("line_number"))
        if all(line.quantity_shipped >= line.quantity for line in lines):
            raise Conflict("The order has already shipped in full.", code="already_shipped", order_status=order.status)
        # SHIPPED with units left to ship happens only after a void the state machine could not move back.
        if order.status not in SHIPPABLE_ORDER_STATUSES | {OrderStatus.SHIPPED}:
            raise Conflict(
                f"An order that is {order.status} cannot ship.", code="order_not_shippable", order_status=order.status
            )
        plan = _plan_items(order, lines, items)
        _validate_parcels(parcels)
        if (cost_amount is None) != (not cost_currency):
            raise ValidationFailed("Give both a cost amount and its currency.", code="missing_field", field="cost")

        now = timezone.now()
        shipment = Shipment.objects.create(
            tenant=tenant,
            environment=environment,
            order=order,
            warehouse_id=order.warehouse_id,
            status=ShipmentStatus.SHIPPED,
            shipped_at=shipped_at or now,
            cost_amount=cost_amount,
            cost_currency=cost_currency or "",
        )
        try:
            # A savepoint: a concurrent ship that took the same tracking number first is a 409, not a 500.
            with transaction.atomic():
                Parcel.objects.bulk_create(
                    [
                        Parcel(
                            shipment=shipment,
                            tracking_number=p.tracking_number.strip(),
                            carrier=p.carrier,
                            service=p.service,
                            weight_value=p.weight_value,
                            weight_unit=p.weight_unit if p.weight_value is not None else "",
                            length=p.length,
                            width=p.width,
                            height=p.height,
                            dimension_unit=p.dimension_unit if p.length is not None else "",
                        )
                        for p in parcels
                    ]
                )
        except IntegrityError as exc:
            raise Conflict(
                "A tracking number is already on another shipment.", code="duplicate_tracking_number", field="parcels"
            ) from exc
        ShipmentItem.objects.bulk_create(
            [ShipmentItem(shipment=shipment, order_line=line, sku=line.sku, quantity=q) for line, q in plan]
        )
        for line, quantity in plan:
            line.quantity_allocated -= quantity
            line.quantity_shipped += quantity
        OrderLine.objects.bulk_update([line for line, _ in plan], ["quantity_allocated", "quantity_shipped"])

        stock_apply(
            tenant=tenant,
            environment=environment,
            deltas=[
                StockDelta(product_id=line.product_id, warehouse_id=order.warehouse_id, on_hand=-q, allocated=-q)
                for line, q in plan
            ],
            reason=StockMovement.Reason.SHIPMENT,
            source_type="shipment",
            source_id=shipment.public_id,
            actor=actor_label,
        )
        _move_order(
            order=order,
            to_status=_order_status_after(lines),
            actor_label=actor_label,
            actor_user=actor_user,
            changes={
                "shipment_id": shipment.public_id,
                "items": [{"sku": line.sku, "quantity": q} for line, q in plan],
            },
        )
        return _emit(shipment, "shipment.created")


def _lock_shipment(shipment_id: int) -> Shipment:
    shipment = Shipment.objects.select_for_update().filter(pk=shipment_id).first()
    if shipment is None:
        raise NotFound("No such shipment.", code="shipment_not_found")
    return shipment


def shipment_status_update(*, shipment_id: int, to_status: str, actor_label: str, actor_user=None, at=None) -> Shipment:
    """Record the carrier's new status for a shipment and emit `shipment.updated`.

    Setting the status it already has changes nothing (a repeated carrier scan).
    Illegal moves (back from delivered, anything after a void) are 409
    `invalid_shipment_transition`; voiding goes through `shipment_void`.
    """
    if to_status not in ShipmentStatus.values or to_status == ShipmentStatus.VOIDED:
        raise ValidationFailed(
            "status must be one of in_transit, out_for_delivery, delivered, exception.",
            code="invalid_choice",
            field="status",
        )
    with transaction.atomic():
        shipment = _lock_shipment(shipment_id)
        if shipment.status == to_status:
            return shipment_fresh(shipment.pk)
        if to_status not in SHIPMENT_TRANSITIONS[shipment.status]:
            raise Conflict(
                f"A shipment that is {shipment.status} cannot become {to_status}.",
                code="invalid_shipment_transition",
                shipment_status=shipment.status,
            )
        shipment.status = to_status
        fields = ["status", "updated_at"]
        if to_status == ShipmentStatus.DELIVERED:
            shipment.delivered_at = at or timezone.now()
            fields.append("delivered_at")
        shipment.save(update_fields=fields)
        return _emit(shipment, "shipment.updated")


def shipment_mark_delivered(*, shipment_id: int, actor_label: str, actor_user=None, at=None) -> Shipment:
    """The carrier delivered the shipment (staff or carrier feed)."""
    return shipment_status_update(
        shipment_id=shipment_id,
        to_status=ShipmentStatus.DELIVERED,
        actor_label=actor_label,
        actor_user=actor_user,
        at=at,
    )


def shipment_void(*, shipment_id: int, actor_label: str, actor_user=None) -> Shipment:
    """Void a shipment's label: the row stays (voided, status voided) and its units go back to allocated.

    Puts the units back on hand and allocated (ledger reason VOID), lowers the
    lines' shipped quantities, moves the order back to partially_shipped (or
    processing if nothing else shipped) and emits `shipment.updated`. Only a
    shipment still with us (shipped, or exception) can be voided.
    """
    with transaction.atomic():
        peek = Shipment.objects.filter(pk=shipment_id).values("order_id", "tenant_id", "environment").first()
        if peek is None:
            raise NotFound("No such shipment.", code="shipment_not_found")
        # Same lock order as shipment_create and the order's cancel: order row first.
        order = Order.objects.select_for_update(of=("self",)).select_related("tenant").get(pk=peek["order_id"])
        shipment = _lock_shipment(shipment_id)
        if shipment.voided:
            raise Conflict("The shipment is already voided.", code="already_voided", shipment_status=shipment.status)
        if shipment.status not in VOIDABLE_STATUSES:
            raise Conflict(
                f"A shipment that is {shipment.status} has left us; its label cannot be voided.",
                code="cannot_void",
                shipment_status=shipment.status,
            )
        items = list(ShipmentItem.objects.filter(shipment=shipment).select_related("order_line"))
        lines = {line.pk: line for line in OrderLine.objects.filter(order=order)}
        for item in items:
            line = lines[item.order_line_id]
            line.quantity_shipped -= item.quantity
            line.quantity_allocated += item.quantity
        OrderLine.objects.bulk_update(
            [lines[i.order_line_id] for i in items], ["quantity_allocated", "quantity_shipped"]
        )
        stock_apply(
            tenant=order.tenant,
            environment=order.environment,
            deltas=[
                StockDelta(
                    product_id=lines[i.order_line_id].product_id,
                    warehouse_id=shipment.warehouse_id,
                    on_hand=i.quantity,
                    allocated=i.quantity,
                )
                for i in items
            ],
            reason=StockMovement.Reason.VOID,
            source_type="shipment",
            source_id=shipment.public_id,
            actor=actor_label,
        )
        now = timezone.now()
        shipment.voided = True
        shipment.voided_at = now
        shipment.status = ShipmentStatus.VOIDED
        shipment.save(update_fields=["voided", "voided_at", "status", "updated_at"])
        _move_order(
            order=order,
            to_status=_order_status_after(list(lines.values())) or OrderStatus.PROCESSING,
            actor_label=actor_label,
            actor_user=actor_user,
            changes={"voided_shipment_id": shipment.public_id},
        )
        return _emit(shipment, "shipment.updated")
