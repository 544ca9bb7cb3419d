"""The ERP-fleet load test, short: real gunicorn workers and a Celery worker on loopback, then the audit.

About 20 s of traffic (LOAD_SECONDS; 120 s with RUN_SLOW=1) plus start-up and drain, so ≤ 60 s in CI.
"""

from __future__ import annotations

import os

import pytest

from tests.robustness.conftest import RUN_SLOW


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_erp_fleet_under_load_loses_nothing_duplicates_nothing_and_gets_no_5xx():
    from benchmarks.load import run_load

    seconds = float(os.environ.get("LOAD_SECONDS", "120" if RUN_SLOW else "15"))
    report = run_load(seconds=seconds, clients=6 if not RUN_SLOW else 16, workers=2, drain_seconds=30)
    assert report.requests > 0
    assert report.by_kind.get("create", 0) > 0
    assert report.orders_created > 0
    assert report.events_committed > 0
    assert report.server_errors == [], report.summary()
    assert report.duplicate_references == 0
    assert report.key_conflicts == []
    assert report.events_lost == [], report.summary()
    assert report.stock_mismatches == []
