"""The sandbox simulator: what the warehouse and the carrier would do, on demand, for sandbox data only.

Every simulator action goes through the same services staff use (shipment
services, the order state machine, stock_apply), so a partner testing in the
sandbox sees byte-for-byte the shapes and rules of production.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from config.api.errors import Conflict, NotFound, ValidationFailed
from fulfillment.models import (
    Carrier,
    InventoryRecord,
    Order,
    OrderStatus,
    Parcel,
    Product,
    Shipment,
    ShipmentStatus,
    StockMovement,
)
from fulfillment.selectors.reference import warehouses_for_tenant
from fulfillment.services.shipments import (
    ParcelSpec,
    ShipItemSpec,
    shipment_create,
    shipment_status_update,
)
from fulfillment.services.stock import StockDelta, stock_apply, stock_cells_lock
from tenants.models import Environment, Tenant

DEFAULT_CARRIER = "auspost"
DEFAULT_SERVICE = "Parcel Post"
# What a first parcel and each further one cost by service code (AUD), roughly Australia Post's contract rates.
RATES = {"EXP": (Decimal("12.40"), Decimal("6.10")), "": (Decimal("8.95"), Decimal("4.50"))}
MAX_PARCELS = 20

# The carrier's next scan for a shipment in each state.
NEXT_STATUS = {
    ShipmentStatus.SHIPPED: ShipmentStatus.IN_TRANSIT,
    ShipmentStatus.IN_TRANSIT: ShipmentStatus.OUT_FOR_DELIVERY,
    ShipmentStatus.OUT_FOR_DELIVERY: ShipmentStatus.DELIVERED,
    ShipmentStatus.EXCEPTION: ShipmentStatus.IN_TRANSIT,
}

AUTO_SHIP_STATUSES = (OrderStatus.RECEIVED, OrderStatus.PROCESSING)


def _require_sandbox(environment: str) -> None:
    # A guard against a programming error: the API never routes live scopes here.
    if environment != Environment.SANDBOX:
        raise NotFound("The simulator exists in the sandbox only.", code="route_not_found")


def sandbox_tracking_number() -> str:
    """An Australia Post-looking number: AP + 10 digits + AU, unique among stored parcels."""
    while True:
        number = f"AP{secrets.randbelow(10**10):010d}AU"
        if not Parcel.objects.filter(tracking_number=number).exists():
            return number


def _parcel_specs(order: Order, count: int) -> tuple[list[ParcelSpec], Decimal, str]:
    method = order.shipping_method
    carrier = method.carrier if method else Carrier.objects.filter(code=DEFAULT_CARRIER).first()
    if carrier is None:
        carrier = Carrier.objects.order_by("id").first()
    if carrier is None:
        raise Conflict("No carrier is configured.", code="no_carrier")
    service = method.name if method else DEFAULT_SERVICE
    first, further = RATES.get(method.service_code if method else "", RATES[""])
    specs = [
        ParcelSpec(
            tracking_number=sandbox_tracking_number(),
            carrier=carrier,
            service=service,
            weight_value=Decimal("1.200"),
            weight_unit="kg",
            length=Decimal("30"),
            width=Decimal("20"),
            height=Decimal("10"),
            dimension_unit="cm",
        )
        for _ in range(count)
    ]
    return specs, first + further * (count - 1), "AUD"


def sandbox_order_ship(
    *,
    tenant: Tenant,
    environment: str,
    order_id: int,
    parcels: int = 1,
    items: Sequence[ShipItemSpec] | None = None,
    actor_label: str,
) -> Shipment:
    """Ship a sandbox order like the warehouse would: `parcels` boxes with fake tracking numbers and a cost.

    `items=None` ships everything allocated; a subset makes a partial shipment.
    """
    _require_sandbox(environment)
    if not 1 <= parcels <= MAX_PARCELS:
        raise ValidationFailed(f"parcels must be between 1 and {MAX_PARCELS}.", code="out_of_range", field="parcels")
    order = (
        Order.objects.select_related("shipping_method__carrier")
        .filter(pk=order_id, tenant=tenant, environment=environment)
        .first()
    )
    if order is None:
        raise NotFound("No such order.", code="order_not_found")
    specs, cost, currency = _parcel_specs(order, parcels)
    return shipment_create(
        tenant=tenant,
        environment=environment,
        order_id=order.pk,
        parcels=specs,
        items=items,
        cost_amount=cost,
        cost_currency=currency,
        actor_label=actor_label,
    )


def sandbox_shipment_advance(*, tenant: Tenant, environment: str, shipment_id: int, actor_label: str) -> Shipment:
    """Move a sandbox shipment to the carrier's next status (in_transit → out_for_delivery → delivered)."""
    _require_sandbox(environment)
    shipment = Shipment.objects.filter(pk=shipment_id, tenant=tenant, environment=environment).first()
    if shipment is None:
        raise NotFound("No such shipment.", code="shipment_not_found")
    next_status = NEXT_STATUS.get(shipment.status)
    if next_status is None:
        raise Conflict(
            f"A shipment that is {shipment.status} has no next carrier status.",
            code="invalid_shipment_transition",
            shipment_status=shipment.status,
        )
    # The service re-checks under a row lock, so two concurrent advances cannot skip a status silently.
    return shipment_status_update(shipment_id=shipment.pk, to_status=next_status, actor_label=actor_label)


def sandbox_order_start_picking(*, tenant: Tenant, environment: str, order_id: int, actor_label: str) -> Order:
    """Move a sandbox order to processing, as if the warehouse started picking (amendments then get 409)."""
    from fulfillment.services.orders import order_start_picking

    _require_sandbox(environment)
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id, tenant=tenant, environment=environment).first()
        if order is None:
            raise NotFound("No such order.", code="order_not_found")
        return order_start_picking(order=order, actor_label=actor_label)


def sandbox_inventory_set(
    *, tenant: Tenant, environment: str, sku: str, warehouse_public_id: str, on_hand: int, actor_label: str
) -> InventoryRecord:
    """Set on_hand for a SKU at a warehouse (ledger reason SANDBOX_SET), then let waiting backorders allocate."""
    from fulfillment.services.orders import backorders_allocate

    _require_sandbox(environment)
    product = Product.objects.filter(tenant=tenant, environment=environment, sku=sku, deleted_at__isnull=True).first()
    if product is None:
        raise ValidationFailed(f"No product with SKU {sku}.", code="unknown_sku", field="sku")
    warehouse = warehouses_for_tenant(tenant).filter(public_id=warehouse_public_id).first()
    if warehouse is None:
        raise ValidationFailed(
            f"Unknown warehouse {warehouse_public_id}.", code="invalid_warehouse", field="warehouse_id"
        )
    with transaction.atomic():
        key = (product.pk, warehouse.pk)
        cells = stock_cells_lock(tenant=tenant, environment=environment, cells=[key])
        cell = cells[key]
        if on_hand < cell.allocated:
            raise Conflict(
                f"{cell.allocated} units are allocated to orders; on_hand cannot go below that.",
                code="insufficient_stock",
                field="on_hand",
                allocated=cell.allocated,
            )
        stock_apply(
            tenant=tenant,
            environment=environment,
            deltas=[StockDelta(product_id=product.pk, warehouse_id=warehouse.pk, on_hand=on_hand - cell.on_hand)],
            reason=StockMovement.Reason.SANDBOX_SET,
            source_type="sandbox",
            source_id=sku,
            actor=actor_label,
            locked=cells,
        )
        backorders_allocate(tenant=tenant, environment=environment, warehouse_id=warehouse.pk, product_ids=[product.pk])
        record, _ = InventoryRecord.objects.get_or_create(tenant=tenant, environment=environment, product=product)
        return record


def sandbox_order_auto_ship(*, order_id: int, actor_label: str = "sandbox:auto-ship") -> Shipment | None:
    """Ship one sandbox order by itself if it is still received/processing; otherwise do nothing (idempotent)."""
    with transaction.atomic():
        order = (
            Order.objects.select_for_update(of=("self",))
            .filter(pk=order_id, environment=Environment.SANDBOX, status__in=AUTO_SHIP_STATUSES)
            .select_related("tenant")
            .first()
        )
        if order is None:
            return None
        try:
            with transaction.atomic():
                return sandbox_order_ship(
                    tenant=order.tenant, environment=order.environment, order_id=order.pk, actor_label=actor_label
                )
        except Conflict:
            # Nothing allocated yet (waiting for stock): the next sweep tries again.
            return None


def sandbox_auto_ship_due(*, now=None, limit: int = 200) -> list[int]:
    """Ship every sandbox order older than its tenant's `sandbox_auto_ship_seconds` still waiting to ship.

    Returns the ids of the shipments made. Safe to run concurrently and repeatedly.
    """
    now = now or timezone.now()
    shipped: list[int] = []
    for tenant in Tenant.objects.filter(sandbox_auto_ship_seconds__isnull=False, status=Tenant.Status.ACTIVE):
        due = Order.objects.filter(
            tenant=tenant,
            environment=Environment.SANDBOX,
            status__in=AUTO_SHIP_STATUSES,
            created_at__lte=now - timedelta(seconds=tenant.sandbox_auto_ship_seconds),
        ).order_by("id")
        for order_id in due.values_list("id", flat=True)[:limit]:
            shipment = sandbox_order_auto_ship(order_id=order_id)
            if shipment is not None:
                shipped.append(shipment.pk)
    return shipped
