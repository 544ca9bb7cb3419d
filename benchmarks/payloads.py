"""Request bodies an ERP would send, and the catalogue they need (shared by the benchmarks and the load test)."""

from __future__ import annotations

import zlib

SKUS = [f"LOAD-{i:02d}" for i in range(20)]


def ensure_catalogue(tenant, environment: str, *, skus=SKUS, on_hand: int = 1_000_000, warehouse="wh_syd_1") -> None:
    """Products for `skus` with at least `on_hand` units in `warehouse`, through stock_apply (so the ledger agrees)."""
    from django.db import transaction

    from fulfillment.models import Product, StockLevel, StockMovement, Warehouse
    from fulfillment.services.stock import StockDelta, stock_apply

    wh = Warehouse.objects.get(public_id=warehouse)
    with transaction.atomic():
        deltas = []
        for sku in skus:
            product, _ = Product.objects.get_or_create(
                tenant=tenant, environment=environment, sku=sku, defaults={"description": f"Load product {sku}"}
            )
            level = StockLevel.objects.filter(
                tenant=tenant, environment=environment, product=product, warehouse=wh
            ).first()
            have = level.on_hand if level else 0
            if have < on_hand:
                deltas.append(StockDelta(product_id=product.id, warehouse_id=wh.id, on_hand=on_hand - have))
        if deltas:
            stock_apply(
                tenant=tenant,
                environment=environment,
                deltas=deltas,
                reason=StockMovement.Reason.INITIAL,
                source_type="bench",
                actor="bench",
            )


def order_body(n: int | str, *, prefix: str = "B", lines: int = 2, skus=SKUS) -> dict:
    """A valid POST /v1/orders body (blueprint §1) with a unique reference."""
    return {
        "order_number": f"SO-{prefix}-{n}",
        "reference": f"REF-{prefix}-{n}",
        "warehouse_id": "wh_syd_1",
        "shipping_method_id": "sm_auspost_parcel",
        "ship_to": {
            "name": "Jane Doe",
            "address1": "123 Example Street",
            "city": "Sydney",
            "state": "NSW",
            "postcode": "2000",
            "country": "AU",
        },
        "items": [
            {
                "sku": skus[(zlib.crc32(str(n).encode()) + k) % len(skus)],
                "quantity": 1 + k,
                "unit_price": "19.99",
                "currency": "AUD",
            }
            for k in range(lines)
        ],
    }
