"""The insights tab: how the assistant is doing (inbox.selectors.insights, the same selectors as
`GET /api/insights`), as SVG charts with tables beside them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from inbox.channels import channel_label
from inbox.selectors.insights.handoffs import REASONS
from inbox.selectors.insights.period import Period, period_parse
from inbox.selectors.insights.report import insights_get
from messaging.enums import Channel, ModeReason
from twilio_channel.panel_views import charts
from twilio_channel.panel_views.shared import render_tab


def label(name: str) -> str:
    if name in settings.INBOX_CHANNELS:
        return channel_label(name)
    return str(Channel(name).label) if name in Channel.values else name


def reason_label(reason: str) -> str:
    return str(ModeReason(reason).label) if reason in ModeReason.values else reason


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 120:
        return _("%(n)s s") % {"n": f"{seconds:.0f}"}
    if seconds < 7200:
        return _("%(n)s min") % {"n": f"{seconds / 60:.1f}"}
    return _("%(n)s h") % {"n": f"{seconds / 3600:.1f}"}


def money(value: Decimal | float | None) -> str:
    return "–" if value is None else f"{Decimal(value):.4f}"


def _series(rows: list[dict], key: str) -> dict[str, dict[date, float]]:
    series: dict[str, dict[date, float]] = {}
    for row in rows:
        value = row[key]
        if value is not None:
            series.setdefault(row["channel"], {})[row["day"]] = float(value)
    return dict(sorted(series.items()))


def _handoffs(rows: list[dict]) -> dict[str, dict[date, float]]:
    series: dict[str, dict[date, float]] = {reason: {} for reason in REASONS}
    for row in rows:
        for reason, n in row["handoff_reasons"].items():
            if n:
                days = series.setdefault(reason, {})
                days[row["day"]] = days.get(row["day"], 0) + n
    return {reason: days for reason, days in series.items() if days}


def _context(period: Period) -> dict:
    insights = insights_get(period=period)
    rows = insights.rows
    days = period.days()
    names = sorted({row["channel"] for row in rows})
    labels = {name: label(name) for name in names}
    volume = {
        name: {row["day"]: row["inbound"] + row["outbound"] for row in rows if row["channel"] == name} for name in names
    }
    return {
        "insights": insights,
        "insight_rows": [
            {
                **row,
                "label": labels[row["channel"]],
                "median_display": duration(row["median_s"]),
                "p90_display": duration(row["p90_s"]),
                "handoff_lines": [(reason_label(reason), n) for reason, n in row["handoff_reasons"].items() if n],
            }
            for row in rows
        ],
        "volume_chart": charts.stacked_bars(days=days, series=volume, labels=labels, fmt=lambda v: f"{v:g}"),
        "reply_chart": charts.lines(days=days, series=_series(rows, "median_s"), labels=labels, fmt=duration),
        "handoff_chart": charts.stacked_bars(
            days=days, series=_handoffs(rows), labels={r: reason_label(r) for r in REASONS}, fmt=lambda v: f"{v:g}"
        ),
        "cost_chart": charts.stacked_bars(days=days, series=_series(rows, "ai_cost"), labels=labels, fmt=money),
        "top_conversations": [{**row, "label": label(row["channel"])} for row in insights.top_conversations],
        "budget": insights.budget_today,
    }


def insights_page(request: HttpRequest) -> HttpResponse:
    query = request.GET
    error = ""
    try:
        period = period_parse(first=query.get("from"), last=query.get("to"), channel=query.get("channel"))
    except ApplicationError as refusal:
        error = refusal.message
        period = period_parse(first=None, last=None, channel=None)
    context = {
        "period": period,
        "period_error": error,
        "channel_choices": [(name, label(name)) for name in Channel.values],
        **_context(period),
    }
    return render_tab(request, tab="insights", context=context, status=400 if error else 200)
