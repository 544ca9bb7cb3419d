"""Server-rendered SVG chart geometry (no JavaScript, no library): the template draws what this computes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


def human_bytes(value: int | float | None) -> str:
    """1 GB = 10^9 bytes, as billed."""
    value = float(value or 0)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(value) < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.2f} {unit}"
        value /= 1000
    return f"{value:.2f} TB"


@dataclass(frozen=True)
class Bar:
    day: date
    x: float
    width: float
    base_y: float
    base_height: float
    day_y: float
    day_height: float
    bytes: int
    cumulative: int
    label: str


def bandwidth_chart(
    days: list[tuple[date, int]], *, allowance: int, days_in_month: int, width: int = 720, height: int = 240
) -> dict:
    """Month-to-date bandwidth as stacked bars (earlier days light, that day dark) against the allowance.

    `days` is (day, bytes) for the days so far. The y scale covers the larger of
    the allowance and the month-to-date total, so the allowance line is always visible.
    """
    left, right, top, bottom = 64, 12, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    total = sum(b for _, b in days)
    y_max = _nice_ceiling(max(allowance, total, 1) * 1.05 / 4) * 4
    slot = plot_w / max(days_in_month, 1)
    bar_w = max(slot * 0.7, 1)

    def y(value: float) -> float:
        return top + plot_h - (value / y_max) * plot_h

    bars = []
    cumulative = 0
    for day, day_bytes in days:
        x = left + (day.day - 1) * slot + (slot - bar_w) / 2
        base_top = y(cumulative)
        cumulative += day_bytes
        day_top = y(cumulative)
        bars.append(
            Bar(
                day=day,
                x=round(x, 1),
                width=round(bar_w, 1),
                base_y=round(base_top, 1),
                base_height=round(top + plot_h - base_top, 1),
                day_y=round(day_top, 1),
                day_height=round(base_top - day_top, 1),
                bytes=day_bytes,
                cumulative=cumulative,
                label=f"{day:%d %b}: {human_bytes(day_bytes)} (month to date {human_bytes(cumulative)})",
            )
        )
    ticks = []
    for i in range(5):
        value = y_max * i / 4
        ticks.append({"y": round(y(value), 1), "label": human_bytes(value).replace(".00 ", " ")})
    x_labels = []
    for d in (1, 8, 15, 22, days_in_month):
        x_labels.append({"x": round(left + (d - 0.5) * slot, 1), "label": str(d)})
    return {
        "width": width,
        "height": height,
        "left": left,
        "plot_right": left + plot_w,
        "baseline": top + plot_h,
        "bars": bars,
        "ticks": ticks,
        "x_labels": x_labels,
        "allowance_y": round(y(allowance), 1) if allowance else None,
        "allowance_label": f"Included {human_bytes(allowance)}",
        "total": total,
    }


def requests_chart(days: list[dict], *, days_in_month: int, width: int = 720, height: int = 180) -> dict:
    """Requests per day (light) with the erroring part (4xx + 5xx) overlaid in red, on one count axis."""
    left, right, top, bottom = 64, 12, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([d["requests"] for d in days] + [1])
    step = _nice_ceiling(peak / 4)
    y_max = step * 4
    slot = plot_w / max(days_in_month, 1)
    bar_w = max(slot * 0.7, 1)

    def y(value: float) -> float:
        return top + plot_h - (value / y_max) * plot_h

    bars = []
    for d in days:
        x = left + (d["day"].day - 1) * slot + (slot - bar_w) / 2
        errors = d["errors_4xx"] + d["errors_5xx"]
        bars.append(
            {
                "x": round(x, 1),
                "width": round(bar_w, 1),
                "y": round(y(d["requests"]), 1),
                "height": round(top + plot_h - y(d["requests"]), 1),
                "err_y": round(y(errors), 1),
                "err_height": round(top + plot_h - y(errors), 1),
                "label": f"{d['day']:%d %b}: {d['requests']} requests, {errors} errors",
            }
        )
    ticks = [{"y": round(y(step * i), 1), "label": f"{step * i:,.0f}"} for i in range(5)]
    x_labels = [{"x": round(left + (d - 0.5) * slot, 1), "label": str(d)} for d in (1, 8, 15, 22, days_in_month)]
    return {
        "width": width,
        "height": height,
        "left": left,
        "plot_right": left + plot_w,
        "baseline": top + plot_h,
        "bars": bars,
        "ticks": ticks,
        "x_labels": x_labels,
    }


def _nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 5 × 10^n (n ≥ 0) at or above value, so axis labels are whole round numbers."""
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return float(step * magnitude)
    return float(10 * magnitude)
