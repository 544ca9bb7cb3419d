"""Shipments feed: a 100-shipment page of GET /v1/shipments against a raw-SQL floor and a naive DRF viewset.

All three produce the same rows for the same tenant. The app is driven through
the full Django stack (middleware, authentication, rate limiter, metering)
with django.test.Client; the floor is one keyset query with psycopg whose rows
are turned into the blueprint's dicts and encoded with orjson; the naive one
is what a first DRF draft would be: a ModelViewSet with nested
ModelSerializers and LimitOffsetPagination (COUNT(*) + OFFSET, N+1 queries).
"""

from __future__ import annotations

import orjson

from benchmarks.common import Result, interleaved, median_ms, not_measured, psycopg_dsn, route_allows, sized
from benchmarks.data import bench_connection, load_shipments

PAGE = 100

FLOOR_SQL = """
SELECT s.id, s.change_seq, s.public_id, o.public_id, o.order_number, s.status, w.public_id,
       s.shipped_at, s.created_at, s.updated_at, s.cost_amount, s.cost_currency, s.voided,
       (SELECT COALESCE(json_agg(json_build_array(p.tracking_number, c.code, c.tracking_url_template, p.service,
                                                  p.weight_value, p.weight_unit, p.length, p.width, p.height,
                                                  p.dimension_unit) ORDER BY p.id), '[]'::json)
          FROM fulfillment_parcel p JOIN fulfillment_carrier c ON c.id = p.carrier_id
         WHERE p.shipment_id = s.id),
       (SELECT COALESCE(json_agg(json_build_array(i.sku, i.quantity) ORDER BY i.id), '[]'::json)
          FROM fulfillment_shipmentitem i WHERE i.shipment_id = s.id)
  FROM fulfillment_shipment s
  JOIN fulfillment_order o ON o.id = s.order_id
  JOIN fulfillment_warehouse w ON w.id = s.warehouse_id
 WHERE s.tenant_id = %s AND s.environment = %s
   AND (s.change_seq, s.id) > (%s, %s)
   AND s.change_seq < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
 ORDER BY s.change_seq, s.id
 LIMIT %s
"""


def _z(dt) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _floor_page(conn, tenant_id: int, environment: str, after: tuple[int, int]) -> bytes:
    from config.api.pagination import encode_cursor

    rows = conn.execute(FLOOR_SQL, [tenant_id, environment, after[0], after[1], PAGE + 1]).fetchall()
    has_more = len(rows) > PAGE
    rows = rows[:PAGE]
    data = []
    for r in rows:
        parcels = []
        for tn, carrier, tpl, service, wv, wu, ln, wd, ht, du in r[13]:
            parcel = {
                "tracking_number": tn,
                "tracking_url": tpl.replace("{tracking_number}", tn) if tpl else None,
                "carrier": carrier,
                "service": service,
            }
            if wv is not None:
                parcel["weight"] = {"value": float(wv), "unit": wu}
            if ln is not None and wd is not None and ht is not None:
                parcel["dimensions"] = {"length": float(ln), "width": float(wd), "height": float(ht), "unit": du}
            parcels.append(parcel)
        data.append(
            {
                "id": r[2],
                "order_id": r[3],
                "order_number": r[4],
                "status": r[5],
                "warehouse_id": r[6],
                "shipped_at": _z(r[7]),
                "created_at": _z(r[8]),
                "updated_at": _z(r[9]),
                "cost": {"amount": str(r[10]), "currency": r[11]} if r[10] is not None else None,
                "voided": r[12],
                "parcels": parcels,
                "items": [{"sku": sku, "quantity": qty} for sku, qty in r[14]],
            }
        )
    resume = encode_cursor(rows[-1][1], rows[-1][0]) if rows else None
    return orjson.dumps(
        {"data": data, "pagination": {"next_cursor": resume if has_more else None, "has_more": has_more}}
    )


def _naive_view(tenant_id: int):
    """The naive DRF implementation, defined here only, never routed."""
    from rest_framework import serializers, viewsets
    from rest_framework.pagination import LimitOffsetPagination
    from rest_framework.permissions import AllowAny
    from rest_framework.renderers import JSONRenderer

    from fulfillment.models import Carrier, Order, Parcel, Shipment, ShipmentItem, Warehouse

    class CarrierS(serializers.ModelSerializer):
        class Meta:
            model = Carrier
            fields = ["code", "name", "tracking_url_template"]

    class ParcelS(serializers.ModelSerializer):
        carrier = CarrierS()

        class Meta:
            model = Parcel
            fields = ["tracking_number", "carrier", "service", "weight_value", "weight_unit"]

    class ItemS(serializers.ModelSerializer):
        class Meta:
            model = ShipmentItem
            fields = ["sku", "quantity"]

    class OrderS(serializers.ModelSerializer):
        class Meta:
            model = Order
            fields = ["public_id", "order_number"]

    class WarehouseS(serializers.ModelSerializer):
        class Meta:
            model = Warehouse
            fields = ["public_id"]

    class ShipmentS(serializers.ModelSerializer):
        order = OrderS()
        warehouse = WarehouseS()
        parcels = ParcelS(many=True)
        items = ItemS(many=True)

        class Meta:
            model = Shipment
            fields = [
                "public_id",
                "order",
                "status",
                "warehouse",
                "shipped_at",
                "created_at",
                "updated_at",
                "cost_amount",
                "cost_currency",
                "voided",
                "parcels",
                "items",
            ]

    class Pagination(LimitOffsetPagination):
        default_limit = PAGE

    class NaiveShipmentViewSet(viewsets.ReadOnlyModelViewSet):
        serializer_class = ShipmentS
        pagination_class = Pagination
        authentication_classes: list = []
        permission_classes = [AllowAny]
        renderer_classes = [JSONRenderer]

        def get_queryset(self):
            return Shipment.objects.filter(tenant_id=tenant_id, environment="live").order_by("updated_at", "id")

    return NaiveShipmentViewSet.as_view({"get": "list"})


def run(log=print) -> list[Result]:
    """Load (or reuse) the shipments history and time the three implementations at the top and 90 % deep."""
    import psycopg
    from django.db import connection
    from django.test import Client
    from rest_framework.test import APIRequestFactory

    from config.api.pagination import encode_cursor
    from fulfillment.models import Shipment
    from tenants.models import Tenant

    name = "Shipments feed"
    total = sized("BENCH_SHIPMENTS", 1_000_000, 20_000)
    repeats = sized("BENCH_FEED_REPEATS", 30, 7)
    feed = load_shipments(total, log=log)
    tenant = Tenant.objects.get(id=feed.big_tenant_id)
    depth = min(feed.big_count - PAGE - 1, int(total * 0.9))
    deep_row = (
        Shipment.objects.filter(tenant=tenant, environment="live")
        .order_by("change_seq", "id")
        .values_list("change_seq", "id")[depth - 1 : depth][0]
    )
    first_after = (-1, 0)
    deep_cursor = encode_cursor(*deep_row)
    log(f"  feed: {total} shipments, tenant holds {feed.big_count}, deep page after row {depth}")

    conn = psycopg.connect(psycopg_dsn(), autocommit=True)
    factory = APIRequestFactory()
    naive = _naive_view(tenant.id)

    def naive_page(offset: int):
        response = naive(factory.get("/naive/shipments", {"limit": PAGE, "offset": offset}))
        response.render()
        assert response.status_code == 200, response.status_code

    timings = {
        "floor_first": lambda: _floor_page(conn, tenant.id, "live", first_after),
        "floor_deep": lambda: _floor_page(conn, tenant.id, "live", deep_row),
        "naive_first": lambda: naive_page(0),
    }
    naive_repeats = max(3, repeats // 5)
    have_api = route_allows("GET", "/v1/shipments")
    results: list[Result] = []
    if have_api:
        bench = bench_connection(tenant, "live", name="bench feed")
        client = Client(HTTP_AUTHORIZATION=f"Bearer {bench.key}")

        def app_page(cursor: str | None):
            response = client.get("/v1/shipments", {"limit": PAGE, **({"cursor": cursor} if cursor else {})})
            assert response.status_code == 200, (response.status_code, response.content[:300])
            return response

        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            probe = orjson.loads(app_page(None).content)
        app_queries = len(queries.captured_queries)
        if len(probe.get("data", [])) != PAGE:
            have_api = False
            results.append(not_measured(f"{name}: app", f"GET /v1/shipments returned {len(probe.get('data', []))}"))
        else:
            timings["app_first"] = lambda: app_page(None)
            timings["app_deep"] = lambda: app_page(deep_cursor)
    samples = interleaved(timings, repeats)
    # The naive deep page is timed apart: one OFFSET scan per call is slow, few samples suffice.
    samples.update(interleaved({"naive_deep": lambda: naive_page(depth)}, naive_repeats, warmup=1))
    conn.close()
    connection.close()
    ms = {k: median_ms(v) for k, v in samples.items()}
    log("  feed medians (ms): " + ", ".join(f"{k}={v:.2f}" for k, v in ms.items()))

    if have_api:
        ratio_floor = ms["app_first"] / ms["floor_first"]
        ratio_floor_deep = ms["app_deep"] / ms["floor_deep"]
        worst = max(ratio_floor, ratio_floor_deep)
        results.append(
            Result(
                f"{name}: app vs floor",
                f"app {ms['app_first']:.1f} ms / floor {ms['floor_first']:.1f} ms (deep: {ms['app_deep']:.1f} / "
                f"{ms['floor_deep']:.1f})",
                f"{ratio_floor:.2f}× (deep {ratio_floor_deep:.2f}×)",
                "≤ 3× floor",
                worst <= 3.0,
                note=f"median of 100-shipment pages; app = full Django stack in-process, {app_queries} SQL queries "
                "per page (auth, page, prefetches) and one model instance per shipment, order, warehouse, parcel, "
                "carrier and item vs the floor's one query and plain tuples — ORM materialisation is the limit",
            )
        )
        speedup = ms["naive_deep"] / ms["app_deep"]
        results.append(
            Result(
                f"{name}: naive DRF at depth vs app",
                f"naive {ms['naive_deep']:.1f} ms / app {ms['app_deep']:.1f} ms",
                f"{speedup:.1f}× faster",
                "≥ 10× faster than naive at depth",
                speedup >= 10,
                note=f"naive first page {ms['naive_first']:.1f} ms; offset {depth}",
            )
        )
        deep_ratio = ms["app_deep"] / ms["app_first"]
        results.append(
            Result(
                f"{name}: deep page vs first page",
                f"deep {ms['app_deep']:.1f} ms / first {ms['app_first']:.1f} ms",
                f"{deep_ratio:.2f}×",
                "≤ 1.25×",
                deep_ratio <= 1.25,
                note=f"{depth} rows deep of {total}",
            )
        )
    else:
        results.append(not_measured(f"{name}: app vs floor", "GET /v1/shipments does not exist yet", "≤ 3× floor"))
        results.append(
            Result(
                f"{name}: naive DRF at depth vs floor",
                f"naive {ms['naive_deep']:.1f} ms / floor {ms['floor_deep']:.1f} ms",
                f"{ms['naive_deep'] / ms['floor_deep']:.1f}×",
                note="reference only until GET /v1/shipments exists",
            )
        )
    results.append(
        Result(
            f"{name}: floor deep vs first",
            f"deep {ms['floor_deep']:.2f} ms / first {ms['floor_first']:.2f} ms",
            f"{ms['floor_deep'] / ms['floor_first']:.2f}×",
            note="the keyset index itself: depth should cost nothing",
        )
    )
    return results
