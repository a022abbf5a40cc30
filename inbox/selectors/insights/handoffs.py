"""Handoffs to a person per UTC day and channel, by reason."""

from __future__ import annotations

from datetime import date

from inbox.selectors.insights.period import Period

REASONS: tuple[str, ...] = ()


def daily_handoffs(period: Period) -> dict[tuple[date, str], dict[str, int]]:
    """{(day, channel): {reason: count}}: nothing records a handoff yet."""
    return {}
