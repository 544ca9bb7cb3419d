"""Customer returns: ERP pre-authorisation (RMA), staff receiving with per-item condition, processing.

A return linked to an order can never bring back more of a SKU than shipped
on that order minus what its other returns already claim (an expected return
claims its authorised quantities, a received one what actually came back).
The order row is locked while this is checked, so two concurrent returns of
the same order cannot both pass. Restocked units go back to on_hand through
`stock_apply` (reason RETURN); the rest is recorded but never sellable.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from config.api.errors import Conflict, ValidationFailed
from fulfillment.models import (
    Order,
    Return,
    ReturnCondition,
    ReturnItem,
    ReturnStatus,
    ShipmentItem,
    ShipmentStatus,
    StockMovement,
    Warehouse,
)
from fulfillment.services.inbound import (
    backorders_allocate_after,
    fingerprint,
    products_resolve,
    refuse_duplicate_skus,
    warehouse_resolve,
)
from fulfillment.services.stock import StockDelta, stock_apply
from tenants.models import ApiConnection, Tenant

SOURCE_TYPE = "return"


@dataclass(frozen=True)
class ReturnLineInput:
    """An authorised SKU and quantity of an RMA."""

    sku: str
    quantity: int


@dataclass(frozen=True)
class ReturnReceiptInput:
    """Units of one SKU that came back in one condition. `restocked` defaults to condition == resellable."""

    sku: str
    quantity: int
    condition: str
    restocked: bool | None = None


def order_resolve(
    *, tenant: Tenant, environment: str, order_id: str | None = None, order_number: str | None = None
) -> Order:
    """The scope's order by public id or order number; 422 with the field at fault otherwise."""
    scoped = Order.objects.filter(tenant=tenant, environment=environment)
    if order_id:
        order = scoped.filter(public_id=order_id).first()
        if order is None:
            raise ValidationFailed(f"No order {order_id}.", code="unknown_order", field="order_id")
        if order_number and order.order_number != order_number:
            raise ValidationFailed(
                f"Order {order_id} has order_number {order.order_number}, not {order_number}.",
                code="order_mismatch",
                field="order_number",
            )
        return order
    if order_number:
        matches = list(scoped.filter(order_number=order_number)[:2])
        if not matches:
            raise ValidationFailed(f"No order with number {order_number}.", code="unknown_order", field="order_number")
        if len(matches) > 1:
            raise ValidationFailed(
                f"More than one order has number {order_number}; send order_id instead.",
                code="ambiguous_order_number",
                field="order_number",
            )
        return matches[0]
    raise ValidationFailed("Give order_id or order_number.", code="missing_field", field="order_id")


def returnable_quantities(*, order: Order, exclude_return_id: int | None = None) -> dict[str, int]:
    """{sku: units still returnable}: shipped (not voided) minus what the order's other returns claim."""
    shipped = (
        ShipmentItem.objects.filter(shipment__order=order)
        .exclude(Q(shipment__voided=True) | Q(shipment__status=ShipmentStatus.VOIDED))
        .values("sku")
        .annotate(total=Sum("quantity"))
    )
    available: dict[str, int] = defaultdict(int)
    for row in shipped:
        available[row["sku"]] += row["total"]
    claims = ReturnItem.objects.filter(ret__order=order).select_related("ret")
    if exclude_return_id is not None:
        claims = claims.exclude(ret_id=exclude_return_id)
    for item in claims:
        claimed = item.quantity_expected if item.ret.status == ReturnStatus.EXPECTED else item.quantity_received
        available[item.sku] -= claimed
    return available


def _refuse_over_return(*, order: Order, wanted: list[tuple[str, int]], exclude_return_id: int | None) -> None:
    """409 return_exceeds_shipped on the first line that takes a SKU beyond what may still come back."""
    available = returnable_quantities(order=order, exclude_return_id=exclude_return_id)
    running: dict[str, int] = defaultdict(int)
    for index, (sku, quantity) in enumerate(wanted):
        running[sku] += quantity
        if running[sku] > available.get(sku, 0):
            raise Conflict(
                f"Order {order.order_number} can return at most {max(available.get(sku, 0), 0)} more of {sku} "
                "(shipped minus already returned).",
                code="return_exceeds_shipped",
                field=f"items[{index}].quantity",
                returnable_quantity=max(available.get(sku, 0), 0),
            )


def _emit_received(*, tenant: Tenant, environment: str, ret: Return) -> None:
    from fulfillment.presenters.returns import return_data
    from webhooks.services import event_emit

    fresh = Return.objects.select_related("warehouse", "order").prefetch_related("items").get(pk=ret.pk)
    event_emit(tenant=tenant, environment=environment, event_type="return.received", data=return_data(fresh))


def return_create(
    *,
    tenant: Tenant,
    environment: str,
    items: list[ReturnLineInput],
    order_id: str | None = None,
    order_number: str | None = None,
    rma: str | None = None,
    warehouse_id: str | None = None,
    connection: ApiConnection | None = None,
) -> tuple[Return, bool]:
    """Pre-authorise a return of shipped goods (status `expected`). Returns (return, created).

    The warehouse defaults to the order's. An RMA is unique per tenant and
    environment: the same payload again returns the existing return
    (created=False); a different one is 409 duplicate_rma. Nothing moves in
    stock until the goods are received.
    """
    order = order_resolve(tenant=tenant, environment=environment, order_id=order_id, order_number=order_number)
    warehouse = warehouse_resolve(tenant=tenant, public_id=warehouse_id) if warehouse_id else order.warehouse
    if not items:
        raise ValidationFailed("A return needs at least one item.", code="missing_field", field="items")
    skus = [line.sku for line in items]
    refuse_duplicate_skus(skus, lambda i: f"items[{i}].sku")
    products = products_resolve(tenant=tenant, environment=environment, skus=skus, field_of=lambda i: f"items[{i}].sku")
    digest = fingerprint(
        {
            "order_id": order.public_id,
            "rma": rma,
            "warehouse_id": warehouse.public_id,
            "items": [[line.sku, line.quantity] for line in items],
        }
    )

    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if rma:
            existing = Return.objects.filter(tenant=tenant, environment=environment, rma=rma).first()
            if existing is not None:
                return _replay_or_conflict(existing, digest, rma), False
        _refuse_over_return(order=order, wanted=[(line.sku, line.quantity) for line in items], exclude_return_id=None)
        try:
            with transaction.atomic():
                ret = Return.objects.create(
                    tenant=tenant,
                    environment=environment,
                    order=order,
                    order_number=order.order_number,
                    rma=rma or None,
                    warehouse=warehouse,
                    request_fingerprint=digest,
                    created_by_connection=connection,
                )
        except IntegrityError:
            # A concurrent create with this RMA (for another order) committed first.
            existing = Return.objects.get(tenant=tenant, environment=environment, rma=rma)
            return _replay_or_conflict(existing, digest, rma), False
        ReturnItem.objects.bulk_create(
            [
                ReturnItem(
                    ret=ret,
                    line_number=index + 1,
                    product=products[line.sku],
                    sku=line.sku,
                    quantity_expected=line.quantity,
                )
                for index, line in enumerate(items)
            ]
        )
    return ret, True


def _replay_or_conflict(existing: Return, digest: str, rma: str) -> Return:
    if existing.request_fingerprint != digest:
        raise Conflict(
            f"A return with RMA '{rma}' already exists with different details.",
            code="duplicate_rma",
            field="rma",
            return_id=existing.public_id,
        )
    return existing


def return_receive(
    *,
    tenant: Tenant,
    environment: str,
    ret: Return,
    items: list[ReturnReceiptInput],
    actor: str = "",
    note: str = "",
) -> Return:
    """Record what came back for an expected return, per line with condition and restock decision.

    Restocked units go to on_hand (reason RETURN) and are then offered to
    backorders; the others are only recorded. Lines the RMA did not announce
    are added. Emits `return.received`.
    """
    _validate_receipt_lines(items)
    skus = [line.sku for line in items]
    products = products_resolve(tenant=tenant, environment=environment, skus=skus, field_of=lambda i: f"items[{i}].sku")
    with transaction.atomic():
        # Lock order first, then the return: the same order as return_create, so no deadlock.
        if ret.order_id:
            order = Order.objects.select_for_update().get(pk=ret.order_id)
        ret = Return.objects.select_for_update(of=("self",)).select_related("warehouse").get(pk=ret.pk)
        if ret.tenant_id != tenant.id or ret.environment != environment:
            raise ValueError("return does not belong to this tenant and environment")
        if ret.status != ReturnStatus.EXPECTED:
            raise Conflict(
                f"Return {ret.public_id} is already {ret.status}.",
                code="return_already_received",
                field=None,
                return_status=ret.status,
            )
        if ret.order_id:
            _refuse_over_return(
                order=order, wanted=[(line.sku, line.quantity) for line in items], exclude_return_id=ret.id
            )
        restocked_products = _apply_receipt(
            tenant=tenant, environment=environment, ret=ret, items=items, products=products, actor=actor
        )
        ret.status = ReturnStatus.RECEIVED
        ret.received_at = timezone.now()
        if note:
            ret.note = note
        ret.version += 1
        ret.save(update_fields=["status", "received_at", "note", "version", "updated_at"])
        _emit_received(tenant=tenant, environment=environment, ret=ret)
        backorders_allocate_after(
            tenant=tenant, environment=environment, warehouse=ret.warehouse, product_ids=restocked_products
        )
    return ret


def return_record_unannounced(
    *,
    tenant: Tenant,
    environment: str,
    warehouse: Warehouse,
    items: list[ReturnReceiptInput],
    order: Order | None = None,
    rma: str | None = None,
    actor: str = "",
    note: str = "",
) -> Return:
    """Staff received a return nobody announced (no RMA, perhaps no known order): record and receive it at once."""
    if order is not None and (order.tenant_id != tenant.id or order.environment != environment):
        raise ValueError("order does not belong to this tenant and environment")
    _validate_receipt_lines(items)
    with transaction.atomic():
        try:
            with transaction.atomic():
                ret = Return.objects.create(
                    tenant=tenant,
                    environment=environment,
                    order=order,
                    order_number=order.order_number if order else "",
                    rma=rma or None,
                    warehouse=warehouse,
                )
        except IntegrityError as exc:
            raise Conflict(f"A return with RMA '{rma}' already exists.", code="duplicate_rma", field="rma") from exc
        ret = return_receive(tenant=tenant, environment=environment, ret=ret, items=items, actor=actor, note=note)
    return ret


def return_process(*, tenant: Tenant, environment: str, ret: Return, actor: str = "") -> Return:
    """Mark a received return as processed (refund or write-off decided). Processing twice changes nothing."""
    with transaction.atomic():
        ret = Return.objects.select_for_update().get(pk=ret.pk)
        if ret.tenant_id != tenant.id or ret.environment != environment:
            raise ValueError("return does not belong to this tenant and environment")
        if ret.status == ReturnStatus.PROCESSED:
            return ret
        if ret.status != ReturnStatus.RECEIVED:
            raise Conflict(
                f"Return {ret.public_id} has not been received yet.",
                code="return_not_received",
                field=None,
                return_status=ret.status,
            )
        ret.status = ReturnStatus.PROCESSED
        ret.processed_at = timezone.now()
        ret.version += 1
        ret.save(update_fields=["status", "processed_at", "version", "updated_at"])
    return ret


def _validate_receipt_lines(items: list[ReturnReceiptInput]) -> None:
    if not items:
        raise ValidationFailed("Receive at least one item.", code="missing_field", field="items")
    for index, line in enumerate(items):
        if line.quantity < 1:
            raise ValidationFailed(
                "quantity must be a positive whole number.", code="out_of_range", field=f"items[{index}].quantity"
            )
        if line.condition not in ReturnCondition.values:
            raise ValidationFailed(
                f"condition must be one of {', '.join(ReturnCondition.values)}.",
                code="invalid_choice",
                field=f"items[{index}].condition",
            )


def _apply_receipt(*, tenant, environment, ret: Return, items, products, actor: str) -> set[int]:
    """Fill the RMA's lines (adding unannounced ones), restock what is sellable; returns restocked product ids."""
    existing = list(ret.items.all())
    unfilled = defaultdict(list)
    for item in existing:
        unfilled[item.sku].append(item)
    next_number = max((item.line_number for item in existing), default=0) + 1
    to_update, to_create, deltas = [], [], []
    restocked_products: set[int] = set()
    for line in items:
        restocked = line.condition == ReturnCondition.RESELLABLE if line.restocked is None else line.restocked
        if unfilled[line.sku]:
            item = unfilled[line.sku].pop(0)
            to_update.append(item)
        else:
            item = ReturnItem(ret=ret, line_number=next_number, product=products[line.sku], sku=line.sku)
            next_number += 1
            to_create.append(item)
        item.quantity_received = line.quantity
        item.condition = line.condition
        item.restocked = restocked
        if restocked:
            deltas.append(StockDelta(product_id=item.product_id, warehouse_id=ret.warehouse_id, on_hand=line.quantity))
            restocked_products.add(item.product_id)
    ReturnItem.objects.bulk_update(to_update, ["quantity_received", "condition", "restocked"])
    ReturnItem.objects.bulk_create(to_create)
    stock_apply(
        tenant=tenant,
        environment=environment,
        deltas=deltas,
        reason=StockMovement.Reason.RETURN,
        source_type=SOURCE_TYPE,
        source_id=ret.public_id,
        actor=actor,
    )
    return restocked_products
