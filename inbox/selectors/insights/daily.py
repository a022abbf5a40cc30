"""Messages, AI replies, failed sends and AI cost per UTC day and channel: one GROUP BY."""

from __future__ import annotations

from datetime import UTC, date
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from inbox.selectors.insights.period import Period
from messaging.enums import Direction
from messaging.models import Message

FAILED_STATUSES = ("failed", "undelivered")  # Twilio's "undelivered" is a failed send too


def to_us() -> Q:
    """A message someone sent us: inbound on a channel, or to the assistant on the web."""
    return Q(direction=Direction.INBOUND) | Q(direction=Direction.INTERNAL, recipient_id=settings.AI_BOT_USER_ID)


def from_us() -> Q:
    """A message we sent: outbound on a channel (staff, auto-reply, AI), or the assistant's on the web."""
    return Q(direction=Direction.OUTBOUND) | Q(direction=Direction.INTERNAL, sender_id=settings.AI_BOT_USER_ID)


def messages_in(period: Period) -> QuerySet[Message]:
    rows = Message.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
    return rows.filter(channel=period.channel) if period.channel else rows


def daily_counts(period: Period) -> dict[tuple[date, str], dict]:
    """{(day, channel): counts and cost}. An AI reply is a message that records its model (as in
    the token usage report); AI cost per conversation divides the day's AI cost by the
    conversations it was spent on."""
    grouped = (
        messages_in(period)
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day", "channel")
        .annotate(
            inbound=Count("id", filter=to_us()),
            outbound=Count("id", filter=from_us()),
            ai_replies=Count("id", filter=~Q(model="")),
            failed_sends=Count("id", filter=from_us() & Q(status__in=FAILED_STATUSES)),
            cost=Sum("ai_cost"),
        )
        .order_by()
    )
    spread = costed_conversations(period)
    return {(row["day"], row["channel"]): _row(row, spread.get((row["day"], row["channel"]), 0)) for row in grouped}


def costed_conversations(period: Period) -> dict[tuple[date, str], int]:
    """{(day, channel): conversations with a priced AI reply}. Counted apart from the other sums:
    a COUNT(DISTINCT) beside them makes PostgreSQL sort the whole range instead of hashing it."""
    distinct = (
        messages_in(period)
        .filter(ai_cost__isnull=False)
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day", "channel", "conversation")
        .distinct()
        .order_by()
    )
    sql, params = distinct.query.sql_with_params()
    outer = f"SELECT day, channel, COUNT(*) FROM ({sql}) AS costed GROUP BY day, channel"  # noqa: S608  the ORM's SQL, values apart
    with connection.cursor() as cursor:
        cursor.execute(outer, params)
        return {(as_date(day), channel): n for day, channel, n in cursor.fetchall()}


def as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _row(row: dict, spread: int) -> dict:
    cost = row["cost"] or Decimal(0)
    return {
        "inbound": row["inbound"],
        "outbound": row["outbound"],
        "ai_replies": row["ai_replies"],
        "failed_sends": row["failed_sends"],
        "ai_cost": cost,
        "ai_conversations": spread,
        "ai_cost_per_conversation": cost / spread if spread else None,
    }
