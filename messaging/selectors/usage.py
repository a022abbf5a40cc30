"""Staff: the AI replies' token usage and cost report."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from django.db.models.functions import Coalesce, TruncDate

from messaging.models import Message


@dataclass(frozen=True)
class TokenUsageRow:
    day: Any  # a date
    model: str
    replies: int
    prompt_tokens: int
    completion_tokens: int
    cost: Decimal | None  # USD; None when no reply of the group was priced

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def ai_token_usage_daily(*, since: datetime | None = None) -> list[TokenUsageRow]:
    """The AI replies' token counts and cost per day (UTC) and model, newest day first: every message that
    records a model (web AI turns, Twilio AI replies, the staff's AI helpers)."""
    rows = Message.objects.exclude(model="")
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    grouped = (
        rows.annotate(day=TruncDate("created_at"))
        .values("day", "model")
        .annotate(
            reply_count=Count("id"),
            prompt=Coalesce(Sum("prompt_tokens"), 0),
            completion=Coalesce(Sum("completion_tokens"), 0),
            cost=Sum("ai_cost"),
        )
        .order_by("-day", "model")
    )
    return [
        TokenUsageRow(
            day=row["day"],
            model=row["model"],
            replies=row["reply_count"],
            prompt_tokens=row["prompt"],
            completion_tokens=row["completion"],
            cost=row["cost"],
        )
        for row in grouped
    ]
