"""Demo data shared by `seed_demo` and tests: reference data, and the demo tenant's catalogue."""

from __future__ import annotations

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


def seed_tenant_catalogue(tenant) -> None:
    """Demo products and stock for a tenant in both environments (added by the orders issue)."""
