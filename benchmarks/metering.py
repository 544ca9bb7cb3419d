"""Metering overhead: GET /v1/warehouses through the full stack with METERING_ENABLED on and off, interleaved."""

from __future__ import annotations

from benchmarks.common import Result, interleaved, median_ms, not_measured, sized
from benchmarks.data import bench_connection, ensure_reference_data


def run(log=print) -> list[Result]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client, override_settings

    from tenants.models import Tenant

    name = "Metering overhead"
    if not hasattr(settings, "METERING_ENABLED"):
        return [not_measured(name, "no METERING_ENABLED setting", "≤ 5 %")]
    try:
        from billing import metering  # noqa: F401
    except ImportError:
        return [not_measured(name, "billing.metering does not exist yet", "≤ 5 %")]
    repeats = sized("BENCH_METERING_REPEATS", 2000, 200)
    ensure_reference_data()
    tenant, _ = Tenant.objects.get_or_create(slug="bench-metering", defaults={"name": "Bench metering"})
    bench = bench_connection(tenant, "live", name="bench metering")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {bench.key}")

    def call(enabled: bool):
        def fn():
            with override_settings(METERING_ENABLED=enabled):
                response = client.get("/v1/warehouses")
            assert response.status_code == 200, response.status_code

        return fn

    samples = interleaved({"on": call(True), "off": call(False)}, repeats, warmup=20)
    connection.close()
    on, off = median_ms(samples["on"]), median_ms(samples["off"])
    overhead = (on - off) / off * 100
    log(f"  metering on {on:.3f} ms, off {off:.3f} ms")
    store = "Redis" if settings.REDIS_URL else "in-process"
    return [
        Result(
            name,
            f"on {on:.2f} ms / off {off:.2f} ms (GET /v1/warehouses median, {repeats} each)",
            f"{on / off:.3f}× ({overhead:+.1f} %)",
            "≤ 5 %",
            overhead <= 5.0,
            note=f"store: {store}; in-process django.test.Client. With Redis the cost is one MULTI/EXEC round trip "
            "per request (billing/metering.py RedisStore.add), on top of the rate limiter's own round trip",
        )
    ]
