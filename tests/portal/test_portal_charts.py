"""SVG chart geometry: round axis labels, the allowance line, bars stacked by day."""

from __future__ import annotations

from datetime import date

from tenants.portal.charts import bandwidth_chart, human_bytes, requests_chart


def test_human_bytes_uses_decimal_units_as_billed():
    assert [human_bytes(v) for v in (0, 999, 1000, 1_500_000, 10**9)] == [
        "0 B",
        "999 B",
        "1.00 KB",
        "1.50 MB",
        "1.00 GB",
    ]


def test_bandwidth_chart_stacks_days_and_draws_the_allowance():
    chart = bandwidth_chart(
        [(date(2026, 11, 1), 300), (date(2026, 11, 2), 500)], allowance=1000, days_in_month=30, height=240
    )
    first, second = chart["bars"]
    assert (first.bytes, first.cumulative, second.cumulative) == (300, 300, 800)
    assert second.base_y == first.day_y  # day 2 starts where day 1's total ends
    assert [t["label"] for t in chart["ticks"]] == ["0 B", "500 B", "1 KB", "1.50 KB", "2 KB"]
    baseline, top = chart["baseline"], 12
    assert chart["allowance_y"] == round(baseline - (1000 / 2000) * (baseline - top), 1)


def test_bandwidth_chart_without_allowance_has_no_line():
    assert bandwidth_chart([(date(2026, 11, 1), 10)], allowance=0, days_in_month=30)["allowance_y"] is None


def test_requests_chart_uses_whole_number_ticks_and_overlays_errors():
    day = {"day": date(2026, 11, 3), "requests": 2, "errors_4xx": 1, "errors_5xx": 0}
    chart = requests_chart([day], days_in_month=30)
    assert [t["label"] for t in chart["ticks"]] == ["0", "1", "2", "3", "4"]
    (bar,) = chart["bars"]
    assert bar["err_height"] * 2 == bar["height"]
