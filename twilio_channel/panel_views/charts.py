"""Server-rendered SVG charts for the staff panel: the geometry is worked out here and the
template draws it, so a chart needs no script, no library and nothing from another host (the CSP
allows neither inline scripts nor inline styles; SVG presentation attributes are neither)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 10, 28  # room for the axis labels
PALETTE = {
    "sms": "#0d6efd",
    "whatsapp": "#198754",
    "telegram": "#0dcaf0",
    "web": "#6f42c1",
    "api": "#fd7e14",
    # handoff reasons
    "asked": "#20c997",
    "loop": "#dc3545",
    "budget": "#ffc107",
    "staff": "#6610f2",
}
OTHER = "#6c757d"


def color(channel: str) -> str:
    return PALETTE.get(channel, OTHER)


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[dict] = field(default_factory=list)  # x, y, w, h, fill, title
    lines: list[dict] = field(default_factory=list)  # points, stroke, title, dots
    x_labels: list[dict] = field(default_factory=list)  # x, text
    y_labels: list[dict] = field(default_factory=list)  # y, text
    legend: list[dict] = field(default_factory=list)  # fill, text
    empty: bool = True

    @property
    def baseline(self) -> int:
        return self.height - BOTTOM

    @property
    def left(self) -> int:
        return LEFT

    @property
    def right(self) -> int:
        return self.width - RIGHT


def _plot_height() -> int:
    return HEIGHT - TOP - BOTTOM


def _slot(days: list[date]) -> float:
    return (WIDTH - LEFT - RIGHT) / max(len(days), 1)


def _axes(chart: Chart, days: list[date], top: float, fmt) -> None:
    step = max(1, len(days) // 8)  # at most about eight day labels
    slot = _slot(days)
    chart.x_labels = [
        {"x": round(LEFT + slot * (i + 0.5), 1), "text": day.strftime("%m-%d")}
        for i, day in enumerate(days)
        if i % step == 0
    ]
    chart.y_labels = [
        {"y": round(TOP + _plot_height() * (1 - share), 1), "text": fmt(top * share)} for share in (0, 0.5, 1)
    ]


def stacked_bars(*, days: list[date], series: dict[str, dict[date, float]], labels: dict[str, str], fmt=str) -> Chart:
    """One bar per day, a segment per series (channel) stacked in the order given."""
    chart = Chart()
    totals = {day: sum(values.get(day, 0) for values in series.values()) for day in days}
    top = max(totals.values(), default=0)
    chart.empty = top <= 0
    top = top if top > 0 else 1
    slot = _slot(days)
    width = max(slot * 0.7, 1)
    for i, day in enumerate(days):
        y = float(TOP + _plot_height())
        for name, values in series.items():
            value = values.get(day, 0)
            if value <= 0:
                continue
            h = _plot_height() * value / top
            y -= h
            chart.bars.append(
                {
                    "x": round(LEFT + slot * i + (slot - width) / 2, 1),
                    "y": round(y, 1),
                    "w": round(width, 1),
                    "h": round(h, 1),
                    "fill": color(name),
                    "title": f"{day.isoformat()} {labels.get(name, name)}: {fmt(value)}",
                }
            )
    chart.legend = [{"fill": color(name), "text": labels.get(name, name)} for name in series]
    _axes(chart, days, top, fmt)
    return chart


def lines(*, days: list[date], series: dict[str, dict[date, float]], labels: dict[str, str], fmt=str) -> Chart:
    """One line per series over the days it has a value on (a gap where it has none)."""
    chart = Chart()
    top = max((v for values in series.values() for v in values.values()), default=0)
    chart.empty = not any(series.values())
    top = top if top > 0 else 1
    slot = _slot(days)
    for name, values in series.items():
        dots = [
            {
                "x": round(LEFT + slot * (i + 0.5), 1),
                "y": round(TOP + _plot_height() * (1 - values[day] / top), 1),
                "title": f"{day.isoformat()} {labels.get(name, name)}: {fmt(values[day])}",
            }
            for i, day in enumerate(days)
            if day in values
        ]
        if dots:
            points = " ".join(f"{dot['x']},{dot['y']}" for dot in dots)
            chart.lines.append({"points": points, "stroke": color(name), "dots": dots})
    chart.legend = [{"fill": color(name), "text": labels.get(name, name)} for name in series if series[name]]
    _axes(chart, days, top, fmt)
    return chart
