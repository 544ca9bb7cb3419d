"""Inbound shipments (ASNs): create, receive (in one or several receipts), cancel.

Stock accounting, all through `stock_apply`:

* create: every line's expected quantity is added to `incoming` (INBOUND_EXPECTED);
* receipt: received units are added to `on_hand`, and `incoming` drops by the
  part of them that was still outstanding on the line (RECEIPT), so an
  over-receipt never takes `incoming` below what other ASNs still expect;
* final receipt: the ASN closes as `received` and each line's remaining
  shortfall leaves `incoming` too (RECEIPT);
* cancel (only before anything arrived): all expected units leave `incoming`.

So while an ASN is open, its contribution to `incoming` is exactly the sum of
its lines' `outstanding`, and zero once it is received or cancelled.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from config.api.errors import Conflict, ValidationFailed
from fulfillment.models import (
    InboundItem,
    InboundReceipt,
    InboundReceiptLine,
    InboundShipment,
    InboundStatus,
    Product,
    StockMovement,
    Warehouse,
)
from fulfillment.selectors.reference import warehouses_for_tenant
from fulfillment.services.stock import StockDelta, stock_apply
from tenants.models import ApiConnection, Tenant

SOURCE_TYPE = "inbound"


@dataclass(frozen=True)
class InboundLineInput:
    """One expected SKU of a new ASN."""

    sku: str
    expected_quantity: int


@dataclass(frozen=True)
class ReceiptLineInput:
    """Units of one SKU counted in by one receipt."""

    sku: str
    quantity: int


# --- helpers shared by the advanced flows (inbound, adjustments, returns) ----------------------


def warehouse_resolve(*, tenant: Tenant, public_id: str, field: str = "warehouse_id") -> Warehouse:
    """The tenant's usable warehouse with that public id, or 422 invalid_warehouse."""
    warehouse = warehouses_for_tenant(tenant).filter(public_id=public_id).first()
    if warehouse is None:
        raise ValidationFailed(
            f"warehouse_id '{public_id}' is not a known warehouse.", code="invalid_warehouse", field=field
        )
    return warehouse


def products_resolve(*, tenant: Tenant, environment: str, skus: list[str], field_of) -> dict[str, Product]:
    """{sku: Product} for live (not deleted) products of the scope; 422 unknown_sku names the first unknown one.

    `field_of(index)` gives the error field for the sku at that position, e.g. `items[1].sku`.
    """
    products = {
        p.sku: p
        for p in Product.objects.filter(tenant=tenant, environment=environment, sku__in=set(skus), deleted_at=None)
    }
    for index, sku in enumerate(skus):
        if sku not in products:
            raise ValidationFailed(f"SKU '{sku}' is not in your catalogue.", code="unknown_sku", field=field_of(index))
    return products


def refuse_duplicate_skus(skus: list[str], field_of) -> None:
    seen: set[str] = set()
    for index, sku in enumerate(skus):
        if sku in seen:
            raise ValidationFailed(
                f"SKU '{sku}' appears more than once; send one line per SKU.",
                code="duplicate_sku",
                field=field_of(index),
            )
        seen.add(sku)


def fingerprint(payload: dict) -> str:
    """A stable hash of a create payload, to tell a retry (same payload) from a conflicting reuse."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def backorders_allocate_after(*, tenant: Tenant, environment: str, warehouse: Warehouse, product_ids: set[int]) -> None:
    """Give newly on-hand units to backordered orders, oldest first, in the caller's transaction.

    The orders service takes order rows with SKIP LOCKED because the caller
    already holds stock cells here, so this cannot deadlock with order changes.
    """
    if not product_ids:
        return
    from fulfillment.services.orders import backorders_allocate

    backorders_allocate(
        tenant=tenant, environment=environment, warehouse_id=warehouse.id, product_ids=sorted(product_ids)
    )


def _emit(*, tenant: Tenant, environment: str, inbound: InboundShipment) -> None:
    from fulfillment.presenters.inbound import inbound_data
    from webhooks.services import event_emit

    fresh = InboundShipment.objects.select_related("warehouse").prefetch_related("items").get(pk=inbound.pk)
    event_emit(tenant=tenant, environment=environment, event_type="inbound.received", data=inbound_data(fresh))


# --- services ------------------------------------------------------------------------------


def inbound_create(
    *,
    tenant: Tenant,
    environment: str,
    reference: str,
    warehouse_id: str,
    items: list[InboundLineInput],
    expected_at: datetime.date | None = None,
    supplier: str = "",
    connection: ApiConnection | None = None,
    actor: str = "",
) -> tuple[InboundShipment, bool]:
    """Create an ASN (status `expected`) and count its quantities as incoming. Returns (asn, created).

    The reference is unique per tenant and environment: the same payload again
    returns the existing ASN (created=False); a different payload under the
    same reference is 409 duplicate_reference.
    """
    warehouse = warehouse_resolve(tenant=tenant, public_id=warehouse_id)
    if not items:
        raise ValidationFailed("An inbound shipment needs at least one item.", code="missing_field", field="items")
    skus = [line.sku for line in items]
    refuse_duplicate_skus(skus, lambda i: f"items[{i}].sku")
    products = products_resolve(tenant=tenant, environment=environment, skus=skus, field_of=lambda i: f"items[{i}].sku")
    digest = fingerprint(
        {
            "reference": reference,
            "warehouse_id": warehouse.public_id,
            "expected_at": expected_at.isoformat() if expected_at else None,
            "supplier": supplier or "",
            "items": [[line.sku, line.expected_quantity] for line in items],
        }
    )

    with transaction.atomic():
        existing = InboundShipment.objects.filter(tenant=tenant, environment=environment, reference=reference).first()
        if existing is None:
            try:
                with transaction.atomic():
                    inbound = InboundShipment.objects.create(
                        tenant=tenant,
                        environment=environment,
                        reference=reference,
                        warehouse=warehouse,
                        expected_at=expected_at,
                        supplier=supplier or "",
                        request_fingerprint=digest,
                        created_by_connection=connection,
                    )
            except IntegrityError:
                # A concurrent create with this reference committed first.
                existing = InboundShipment.objects.get(tenant=tenant, environment=environment, reference=reference)
        if existing is not None:
            if existing.request_fingerprint != digest:
                raise Conflict(
                    f"An inbound shipment with reference '{reference}' already exists with different details.",
                    code="duplicate_reference",
                    field="reference",
                    inbound_id=existing.public_id,
                )
            return existing, False

        InboundItem.objects.bulk_create(
            [
                InboundItem(
                    inbound=inbound,
                    line_number=index + 1,
                    product=products[line.sku],
                    sku=line.sku,
                    expected_quantity=line.expected_quantity,
                )
                for index, line in enumerate(items)
            ]
        )
        stock_apply(
            tenant=tenant,
            environment=environment,
            deltas=[
                StockDelta(product_id=products[line.sku].id, warehouse_id=warehouse.id, incoming=line.expected_quantity)
                for line in items
            ],
            reason=StockMovement.Reason.INBOUND_EXPECTED,
            source_type=SOURCE_TYPE,
            source_id=inbound.public_id,
            actor=actor or (f"api:{connection.public_id}" if connection else ""),
        )
    return inbound, True


def inbound_receive(
    *,
    tenant: Tenant,
    environment: str,
    inbound: InboundShipment,
    lines: list[ReceiptLineInput] | None = None,
    final: bool = True,
    actor: str = "",
    note: str = "",
) -> InboundShipment:
    """Record one receipt against an open ASN; returns the ASN after it.

    `lines=None` receives every line's outstanding quantity. Lines not named
    receive nothing this time. A `final` receipt (or one that completes every
    line) closes the ASN as `received` and stops counting any shortfall as
    incoming. Emits `inbound.received`, then offers the new stock to backorders.
    """
    with transaction.atomic():
        inbound = InboundShipment.objects.select_for_update(of=("self",)).select_related("warehouse").get(pk=inbound.pk)
        if inbound.tenant_id != tenant.id or inbound.environment != environment:
            raise ValueError("inbound shipment does not belong to this tenant and environment")
        if inbound.status not in (InboundStatus.EXPECTED, InboundStatus.PARTIALLY_RECEIVED):
            raise Conflict(
                f"Inbound shipment {inbound.public_id} is {inbound.status}; nothing more can be received against it.",
                code="inbound_closed",
                field=None,
                inbound_status=inbound.status,
            )
        items = list(inbound.items.all())
        by_sku = {item.sku: item for item in items}
        if lines is None:
            lines = [ReceiptLineInput(sku=item.sku, quantity=item.outstanding) for item in items]
        refuse_duplicate_skus([line.sku for line in lines], lambda i: f"items[{i}].sku")
        for index, line in enumerate(lines):
            if line.sku not in by_sku:
                raise ValidationFailed(
                    f"SKU '{line.sku}' is not on inbound shipment {inbound.public_id}.",
                    code="unknown_sku",
                    field=f"items[{index}].sku",
                )
            if line.quantity < 0:
                raise ValidationFailed(
                    "quantity must not be negative.", code="out_of_range", field=f"items[{index}].quantity"
                )
        if not final and not any(line.quantity for line in lines):
            raise ValidationFailed(
                "A receipt that is not final must receive at least one unit.", code="empty_receipt", field="items"
            )

        now = timezone.now()
        receipt = InboundReceipt.objects.create(inbound=inbound, final=final, received_at=now, actor=actor, note=note)
        deltas: list[StockDelta] = []
        received_products: set[int] = set()
        receipt_lines = []
        for line in lines:
            if not line.quantity:
                continue
            item = by_sku[line.sku]
            # Only the part still outstanding was counted as incoming; the rest is over-receipt.
            deltas.append(
                StockDelta(
                    product_id=item.product_id,
                    warehouse_id=inbound.warehouse_id,
                    on_hand=line.quantity,
                    incoming=-min(line.quantity, item.outstanding),
                )
            )
            item.received_quantity += line.quantity
            received_products.add(item.product_id)
            receipt_lines.append(InboundReceiptLine(receipt=receipt, item=item, quantity=line.quantity))
        closes = final or all(item.outstanding == 0 for item in items)
        if closes:
            # The shortfall is not coming any more: stop counting it as incoming.
            deltas.extend(
                StockDelta(product_id=item.product_id, warehouse_id=inbound.warehouse_id, incoming=-item.outstanding)
                for item in items
                if item.outstanding
            )
        InboundReceiptLine.objects.bulk_create(receipt_lines)
        InboundItem.objects.bulk_update(items, ["received_quantity"])
        stock_apply(
            tenant=tenant,
            environment=environment,
            deltas=deltas,
            reason=StockMovement.Reason.RECEIPT,
            source_type=SOURCE_TYPE,
            source_id=inbound.public_id,
            actor=actor,
            note="final receipt" if closes else "",
        )
        inbound.status = InboundStatus.RECEIVED if closes else InboundStatus.PARTIALLY_RECEIVED
        inbound.received_at = now
        inbound.version += 1
        inbound.save(update_fields=["status", "received_at", "version", "updated_at"])
        _emit(tenant=tenant, environment=environment, inbound=inbound)
        backorders_allocate_after(
            tenant=tenant, environment=environment, warehouse=inbound.warehouse, product_ids=received_products
        )
    return inbound


def inbound_cancel(*, tenant: Tenant, environment: str, inbound: InboundShipment, actor: str = "") -> InboundShipment:
    """Cancel an ASN nothing has been received against, releasing its incoming units.

    Cancelling a cancelled ASN changes nothing; once anything arrived it is 409 inbound_not_cancellable.
    """
    with transaction.atomic():
        inbound = InboundShipment.objects.select_for_update().get(pk=inbound.pk)
        if inbound.tenant_id != tenant.id or inbound.environment != environment:
            raise ValueError("inbound shipment does not belong to this tenant and environment")
        if inbound.status == InboundStatus.CANCELLED:
            return inbound
        items = list(inbound.items.all())
        if inbound.status != InboundStatus.EXPECTED or any(item.received_quantity for item in items):
            raise Conflict(
                f"Inbound shipment {inbound.public_id} is {inbound.status}: goods were already received against it.",
                code="inbound_not_cancellable",
                field=None,
                inbound_status=inbound.status,
            )
        stock_apply(
            tenant=tenant,
            environment=environment,
            deltas=[
                StockDelta(product_id=item.product_id, warehouse_id=inbound.warehouse_id, incoming=-item.outstanding)
                for item in items
            ],
            reason=StockMovement.Reason.INBOUND_EXPECTED,
            source_type=SOURCE_TYPE,
            source_id=inbound.public_id,
            actor=actor,
            note="cancelled",
        )
        inbound.status = InboundStatus.CANCELLED
        inbound.cancelled_at = timezone.now()
        inbound.version += 1
        inbound.save(update_fields=["status", "cancelled_at", "version", "updated_at"])
    return inbound
