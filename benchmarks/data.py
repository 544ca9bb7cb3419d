"""Benchmark data: tenants with keys, and a bulk-loaded shipments history.

The bulk load is `INSERT … SELECT FROM generate_series` in chunks, one
transaction per chunk, so the change_seq trigger gives the rows realistic,
increasing positions (one per writing transaction) exactly as the app would.
Column lists are derived from the models, so a column another engineer adds
(with a default or nullable) does not break the loader.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import models

BENCH_TENANT_PREFIX = "bench-t"
BIG_TENANT_SLUG = "bench-t000"
# 2**31-1: a limit no benchmark can reach, so the limiter stays in the path but never refuses.
UNLIMITED = 2_000_000_000


@dataclass
class BenchTenant:
    tenant: object
    connection: object
    key: str


def ensure_reference_data() -> None:
    from fulfillment.demo import seed_reference_data

    seed_reference_data()


def bench_connection(tenant, environment: str = "live", name: str = "bench ERP") -> BenchTenant:
    """A fresh connection (and key) for `tenant` whose rate limits the benchmark cannot reach."""
    from tenants import services

    issued = services.connection_create(tenant=tenant, environment=environment, name=name)
    conn = issued.connection
    conn.rate_limit_standard = conn.rate_limit_high = conn.rate_limit_low = UNLIMITED
    conn.save(update_fields=["rate_limit_standard", "rate_limit_high", "rate_limit_low"])
    return BenchTenant(tenant=tenant, connection=conn, key=issued.key)


def ensure_tenants(count: int) -> list:
    from tenants.models import Tenant

    existing = {t.slug: t for t in Tenant.objects.filter(slug__startswith=BENCH_TENANT_PREFIX)}
    out = []
    for i in range(count):
        slug = f"{BENCH_TENANT_PREFIX}{i:03d}"
        tenant = existing.get(slug) or Tenant.objects.create(slug=slug, name=f"Bench tenant {i}")
        out.append(tenant)
    return out


def _literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def fill_sql(model, given: dict[str, str]) -> tuple[str, str]:
    """(column list, select-expression list) covering every NOT NULL column of `model`."""
    columns, exprs = [], []
    for f in model._meta.concrete_fields:
        column = f.column
        if column in given:
            expr = given[column]
        elif f.null or f.primary_key:
            continue
        elif f.has_default() and not callable(f.default):
            expr = _literal(f.default)
        elif isinstance(f, models.UUIDField):
            expr = "gen_random_uuid()"
        elif isinstance(f, models.DateTimeField):
            expr = "now()"
        elif isinstance(f, models.BooleanField):
            expr = "false"
        elif isinstance(f, models.IntegerField | models.DecimalField | models.FloatField):
            expr = "0"
        elif isinstance(f, models.JSONField):
            expr = "'{}'::jsonb"
        elif isinstance(f, models.CharField | models.TextField):
            expr = "''"
        else:
            raise RuntimeError(f"bench loader: no filler for {model.__name__}.{f.name}")
        columns.append(f'"{column}"')
        exprs.append(expr)
    return ", ".join(columns), ", ".join(exprs)


@dataclass
class FeedData:
    total: int
    big_tenant_id: int
    big_count: int
    environment: str = "live"


def shipments_loaded(total: int) -> FeedData | None:
    """The existing load if it has exactly `total` bench shipments, else None."""
    from fulfillment.models import Shipment
    from tenants.models import Tenant

    big = Tenant.objects.filter(slug=BIG_TENANT_SLUG).first()
    if big is None:
        return None
    count = Shipment.objects.filter(public_id__startswith="shp_b").count()
    if count != total:
        return None
    big_count = Shipment.objects.filter(tenant=big, public_id__startswith="shp_b").count()
    return FeedData(total=total, big_tenant_id=big.id, big_count=big_count)


def load_shipments(total: int, *, tenants: int = 100, big_share: float = 0.95, chunk: int = 5000, log=print):
    """Bulk-load `total` shipments (1–3 parcels, 1–4 items, one order each) across `tenants` tenants.

    The first tenant holds `big_share` of the rows so a page 90 % deep into the
    whole history exists inside one tenant's feed; the rest is spread evenly.
    """
    import psycopg
    from django.db import connection

    from benchmarks.common import psycopg_dsn
    from fulfillment.models import Carrier, Order, OrderLine, Parcel, Product, Shipment, ShipmentItem, Warehouse

    loaded = shipments_loaded(total)
    if loaded:
        log(f"  shipments: reusing {total} bench shipments already loaded")
        return loaded
    ensure_reference_data()
    bench_tenants = ensure_tenants(tenants)
    tenant_ids = [t.id for t in bench_tenants]
    warehouse_id = Warehouse.objects.get(public_id="wh_syd_1").id
    carrier_id = Carrier.objects.get(code="auspost").id
    big_count = int(total * big_share) if tenants > 1 else total
    connection.close()

    started = time.perf_counter()
    with psycopg.connect(psycopg_dsn(), autocommit=True) as conn:
        log("  shipments: clearing previous bench rows")
        conn.execute(
            "DELETE FROM fulfillment_shipmentitem WHERE shipment_id IN "
            "(SELECT id FROM fulfillment_shipment WHERE public_id LIKE 'shp_b%')"
        )
        conn.execute(
            "DELETE FROM fulfillment_parcel WHERE shipment_id IN "
            "(SELECT id FROM fulfillment_shipment WHERE public_id LIKE 'shp_b%')"
        )
        conn.execute("DELETE FROM fulfillment_shipment WHERE public_id LIKE 'shp_b%'")
        conn.execute(
            "DELETE FROM fulfillment_orderline WHERE order_id IN "
            "(SELECT id FROM fulfillment_order WHERE public_id LIKE 'ord_b%')"
        )
        conn.execute("DELETE FROM fulfillment_order WHERE public_id LIKE 'ord_b%'")
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS bench_tenant_map (idx int PRIMARY KEY, tenant_id bigint NOT NULL)"
        )
        conn.execute("TRUNCATE bench_tenant_map")
        with conn.cursor().copy("COPY bench_tenant_map (idx, tenant_id) FROM STDIN") as copy:
            for idx, tid in enumerate(tenant_ids):
                copy.write_row((idx, tid))

        # Ten products per tenant and environment.
        pcols, pexprs = fill_sql(
            Product,
            {
                "tenant_id": "m.tenant_id",
                "environment": "'live'",
                "sku": "'BENCH-' || k",
                "description": "'Bench product ' || k",
            },
        )
        conn.execute(
            f"INSERT INTO fulfillment_product ({pcols}) SELECT {pexprs} FROM bench_tenant_map m, "
            "generate_series(0, 9) k ON CONFLICT DO NOTHING"
        )
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS bench_products AS SELECT p.tenant_id, "
            "substr(p.sku, 7)::int AS slot, p.id FROM fulfillment_product p WHERE p.sku LIKE 'BENCH-%' "
            "AND p.environment = 'live'"
        )
        conn.execute("TRUNCATE bench_products")
        conn.execute(
            "INSERT INTO bench_products SELECT p.tenant_id, substr(p.sku, 7)::int, p.id FROM fulfillment_product p "
            "WHERE p.sku LIKE 'BENCH-%' AND p.environment = 'live'"
        )
        conn.execute("CREATE INDEX IF NOT EXISTS bench_products_idx ON bench_products (tenant_id, slot)")

        base = {
            t: conn.execute(f"SELECT COALESCE(MAX(id), 0) FROM {t}").fetchone()[0]
            for t in (
                "fulfillment_order",
                "fulfillment_orderline",
                "fulfillment_shipment",
                "fulfillment_parcel",
                "fulfillment_shipmentitem",
            )
        }
        # g = 0..total-1; tenant index: the big tenant first, then round-robin.
        tenant_expr = f"(CASE WHEN g < {big_count} THEN 0 ELSE 1 + mod(g, {max(1, tenants - 1)}) END)"
        ocols, oexprs = fill_sql(
            Order,
            {
                "id": f"{base['fulfillment_order']} + 1 + g",
                "tenant_id": "m.tenant_id",
                "environment": "'live'",
                "public_id": "'ord_b' || g",
                "order_number": "'SO-' || g",
                "reference": "'REF-' || g",
                "warehouse_id": str(warehouse_id),
                "status": "'shipped'",
                "version": "1",
                "ship_to_name": "'Jane Doe'",
                "ship_to_address1": "'1 Bench St'",
                "ship_to_city": "'Sydney'",
                "ship_to_postcode": "'2000'",
                "ship_to_country": "'AU'",
            },
        )
        lcols, lexprs = fill_sql(
            OrderLine,
            {
                "id": f"{base['fulfillment_orderline']} + 1 + g * 4 + k",
                "order_id": f"{base['fulfillment_order']} + 1 + g",
                "line_number": "k + 1",
                "product_id": "bp.id",
                "sku": "'BENCH-' || mod(g + k, 10)",
                "quantity": "1 + k",
                "quantity_shipped": "1 + k",
                "quantity_allocated": "0",
            },
        )
        scols, sexprs = fill_sql(
            Shipment,
            {
                "id": f"{base['fulfillment_shipment']} + 1 + g",
                "tenant_id": "m.tenant_id",
                "environment": "'live'",
                "public_id": "'shp_b' || g",
                "order_id": f"{base['fulfillment_order']} + 1 + g",
                "warehouse_id": str(warehouse_id),
                "status": "'shipped'",
                "shipped_at": "now()",
                "cost_amount": "12.50",
                "cost_currency": "'AUD'",
            },
        )
        parcel_cols, parcel_exprs = fill_sql(
            Parcel,
            {
                "id": f"{base['fulfillment_parcel']} + 1 + g * 3 + k",
                "shipment_id": f"{base['fulfillment_shipment']} + 1 + g",
                "tracking_number": "'BT' || g || 'X' || k",
                "carrier_id": str(carrier_id),
                "service": "'EXP'",
                "weight_value": "1.250",
                "weight_unit": "'kg'",
            },
        )
        icols, iexprs = fill_sql(
            ShipmentItem,
            {
                "id": f"{base['fulfillment_shipmentitem']} + 1 + g * 4 + k",
                "shipment_id": f"{base['fulfillment_shipment']} + 1 + g",
                "order_line_id": f"{base['fulfillment_orderline']} + 1 + g * 4 + k",
                "sku": "'BENCH-' || mod(g + k, 10)",
                "quantity": "1 + k",
            },
        )
        series = "generate_series(%(a)s::bigint, %(b)s::bigint) g"
        tenant_join = f"JOIN bench_tenant_map m ON m.idx = {tenant_expr}"
        statements = [
            f"INSERT INTO fulfillment_order ({ocols}) SELECT {oexprs} FROM {series} {tenant_join}",
            f"INSERT INTO fulfillment_orderline ({lcols}) SELECT {lexprs} FROM {series} {tenant_join} "
            "CROSS JOIN LATERAL generate_series(0, mod(g * 7, 4)) k "
            "JOIN bench_products bp ON bp.tenant_id = m.tenant_id AND bp.slot = mod(g + k, 10)",
            f"INSERT INTO fulfillment_shipment ({scols}) SELECT {sexprs} FROM {series} {tenant_join}",
            f"INSERT INTO fulfillment_parcel ({parcel_cols}) SELECT {parcel_exprs} FROM {series} "
            "CROSS JOIN LATERAL generate_series(0, mod(g * 13, 3)) k",
            f"INSERT INTO fulfillment_shipmentitem ({icols}) SELECT {iexprs} FROM {series} "
            "CROSS JOIN LATERAL generate_series(0, mod(g * 7, 4)) k",
        ]
        done = 0
        while done < total:
            upper = min(total, done + chunk) - 1
            with conn.transaction():
                for sql in statements:
                    conn.execute(sql, {"a": done, "b": upper})
            done = upper + 1
            if done % (chunk * 20) == 0 or done == total:
                log(f"  shipments: {done}/{total} loaded ({time.perf_counter() - started:.0f}s)")
        for table in base:
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        for table in base:
            conn.execute(f"VACUUM ANALYZE {table}")
    log(f"  shipments: {total} loaded in {time.perf_counter() - started:.1f}s")
    return FeedData(total=total, big_tenant_id=tenant_ids[0], big_count=big_count)
