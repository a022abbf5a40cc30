"""Handoffs to a person per UTC day and channel, by reason: the switches to human mode that
messaging.ModeChange records (asked, loop, budget, staff), one GROUP BY."""

from __future__ import annotations

from datetime import UTC, date

from django.db.models import Count
from django.db.models.functions import TruncDate

from inbox.selectors.insights.period import Period
from messaging.enums import ConversationMode, ModeReason
from messaging.models import ModeChange

REASONS: tuple[str, ...] = tuple(ModeReason.values)


def daily_handoffs(period: Period) -> dict[tuple[date, str], dict[str, int]]:
    """{(day, channel): {reason: count}}; the channel is the conversation's when it was handed over."""
    rows = ModeChange.objects.filter(
        mode=ConversationMode.HUMAN, created_at__gte=period.start, created_at__lt=period.end
    )
    if period.channel:
        rows = rows.filter(channel=period.channel)
    grouped = (
        rows.annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day", "channel", "reason")
        .annotate(n=Count("id"))
        .order_by()
    )
    found: dict[tuple[date, str], dict[str, int]] = {}
    for row in grouped:
        found.setdefault((row["day"], row["channel"]), {})[row["reason"]] = row["n"]
    return found
