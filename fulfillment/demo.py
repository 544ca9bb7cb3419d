"""Demo data shared by `seed_demo` and tests: reference data, and the demo tenant's catalogue."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from fulfillment.models import Carrier, ShippingMethod, Warehouse

WAREHOUSES = [
    {
        "public_id": "wh_syd_1",
        "name": "Sydney DC",
        "code": "SYD",
        "address1": "1 Freight Rd",
        "city": "Sydney",
        "state": "NSW",
        "postcode": "2000",
        "country": "AU",
    },
    {
        "public_id": "wh_mel_1",
        "name": "Melbourne DC",
        "code": "MEL",
        "address1": "200 Dock St",
        "city": "Melbourne",
        "state": "VIC",
        "postcode": "3000",
        "country": "AU",
    },
]

CARRIERS = [
    {
        "code": "auspost",
        "name": "Australia Post",
        "tracking_url_template": "https://auspost.com.au/track/{tracking_number}",
    }
]

SHIPPING_METHODS = [
    {"public_id": "sm_auspost_express", "name": "Express Post", "carrier": "auspost", "service_code": "EXP"},
    {"public_id": "sm_auspost_parcel", "name": "Parcel Post", "carrier": "auspost", "service_code": "PP"},
]


def seed_reference_data() -> None:
    """Create or refresh the demo warehouses, carrier and shipping methods (idempotent)."""
    for data in WAREHOUSES:
        Warehouse.objects.update_or_create(public_id=data["public_id"], defaults=data)
    carriers = {}
    for data in CARRIERS:
        carriers[data["code"]], _ = Carrier.objects.update_or_create(code=data["code"], defaults=data)
    for data in SHIPPING_METHODS:
        defaults = {**data, "carrier": carriers[data["carrier"]]}
        ShippingMethod.objects.update_or_create(public_id=data["public_id"], defaults=defaults)


DEMO_PRODUCTS = [
    {
        "sku": "WIDGET-BLUE-M",
        "description": "Blue Widget — Medium",
        "barcode": "9300000000011",
        "weight_value": Decimal("0.450"),
        "weight_unit": "kg",
        "length": Decimal("20.00"),
        "width": Decimal("15.00"),
        "height": Decimal("5.00"),
        "dimension_unit": "cm",
        "customs_value_amount": Decimal("19.99"),
        "customs_value_currency": "AUD",
    },
    {
        "sku": "WIDGET-RED-S",
        "description": "Red Widget — Small",
        "barcode": "9300000000028",
        "weight_value": Decimal("0.250"),
        "weight_unit": "kg",
        "length": Decimal("12.00"),
        "width": Decimal("10.00"),
        "height": Decimal("4.00"),
        "dimension_unit": "cm",
        "customs_value_amount": Decimal("12.50"),
        "customs_value_currency": "AUD",
    },
]
# Opening stock per warehouse for every demo product.
DEMO_STOCK = {"wh_syd_1": 100, "wh_mel_1": 50}


def seed_tenant_catalogue(tenant) -> None:
    """Demo products and opening stock for a tenant in both environments (idempotent).

    Stock is booked once per cell through stock_apply (reason INITIAL); a cell
    that already has an opening balance is left alone, so seeding twice never
    doubles stock.
    """
    from fulfillment.models import Product, StockMovement
    from fulfillment.services.stock import StockDelta, stock_apply

    warehouses = {w.public_id: w for w in Warehouse.objects.filter(public_id__in=DEMO_STOCK)}
    with transaction.atomic():
        for environment in ("live", "sandbox"):
            for data in DEMO_PRODUCTS:
                fields = {k: v for k, v in data.items() if k != "sku"}
                product, _ = Product.objects.get_or_create(
                    tenant=tenant, environment=environment, sku=data["sku"], defaults=fields
                )
                opened = set(
                    StockMovement.objects.filter(
                        tenant=tenant,
                        environment=environment,
                        product=product,
                        reason=StockMovement.Reason.INITIAL,
                    ).values_list("warehouse_id", flat=True)
                )
                deltas = [
                    StockDelta(product_id=product.pk, warehouse_id=warehouses[code].pk, on_hand=quantity)
                    for code, quantity in DEMO_STOCK.items()
                    if code in warehouses and warehouses[code].pk not in opened
                ]
                stock_apply(
                    tenant=tenant,
                    environment=environment,
                    deltas=deltas,
                    reason=StockMovement.Reason.INITIAL,
                    source_type="seed",
                    actor="seed_demo",
                )
