"""The insights of a period: the day-and-channel rows, the top conversations by AI cost and
today's budget use, as plain data for the staff API (JSON) and the panel tab."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, Q, Sum

from inbox.selectors.insights.daily import daily_counts, messages_in
from inbox.selectors.insights.handoffs import REASONS, daily_handoffs
from inbox.selectors.insights.latency import first_reply_times
from inbox.selectors.insights.period import Period, today
from messaging.models import Conversation
from orchestrator.models import GLOBAL_SCOPE, NANO, AISpend
from orchestrator.services.spend import caps_for

TOP_CONVERSATIONS = 10
EMPTY_COUNTS = {
    "inbound": 0,
    "outbound": 0,
    "ai_replies": 0,
    "failed_sends": 0,
    "ai_cost": Decimal(0),
    "ai_conversations": 0,
    "ai_cost_per_conversation": None,
}
NO_WAITS = {"first_replies": 0, "median_s": None, "p90_s": None}


@dataclass(frozen=True)
class Insights:
    period: Period
    rows: list[dict]  # one per day and channel that had a message, by day then channel
    top_conversations: list[dict]
    budget_today: dict


def insights_get(*, period: Period) -> Insights:
    counts = daily_counts(period)
    waits = first_reply_times(period)
    handoffs = daily_handoffs(period)
    rows = []
    for day, channel in sorted(set(counts) | set(waits) | set(handoffs)):
        reasons = handoffs.get((day, channel), {})
        rows.append(
            {
                "day": day,
                "channel": channel,
                **counts.get((day, channel), EMPTY_COUNTS),
                "handoffs": sum(reasons.values()),
                "handoff_reasons": {reason: reasons.get(reason, 0) for reason in (*REASONS, *sorted(reasons))},
                **waits.get((day, channel), NO_WAITS),
            }
        )
    return Insights(
        period=period,
        rows=rows,
        top_conversations=top_conversations(period),
        budget_today=budget_today(),
    )


def top_conversations(period: Period, *, limit: int = TOP_CONVERSATIONS) -> list[dict]:
    """The conversations that cost the most AI spend in the period: one GROUP BY, then their keys."""
    grouped = list(
        messages_in(period)
        .filter(ai_cost__isnull=False, conversation__isnull=False)
        .values("conversation")
        .annotate(cost=Sum("ai_cost"), ai_replies=Count("id", filter=~Q(model="")))
        .order_by("-cost", "conversation")[:limit]
    )
    conversations = Conversation.objects.in_bulk([row["conversation"] for row in grouped])
    channels = dict(
        messages_in(period)
        .filter(conversation__in=list(conversations))
        .values_list("conversation", "channel")
        .order_by("conversation", "-created_at")
        .distinct()
    )
    return [
        {
            "conversation_id": row["conversation"],
            "key": conversations[row["conversation"]].key,
            "channel": channels.get(row["conversation"], ""),
            "ai_cost": row["cost"],
            "ai_replies": row["ai_replies"],
        }
        for row in grouped
        if row["conversation"] in conversations
    ]


def budget_today() -> dict:
    """Today's (UTC) AI spend against the caps in force (orchestrator.services.spend): the global
    day and the contacts' days. Amounts in USD; a cap is None when unset."""
    day = today()
    caps = dict(caps_for("contact"))
    contact_cap, global_cap = caps.get("contact"), caps.get(GLOBAL_SCOPE)
    rows = AISpend.objects.filter(day=day)
    glob = rows.filter(scope=GLOBAL_SCOPE).first()
    aggregates = {"count": Count("id"), "spent": Sum("spent_nano"), "highest": Max("spent_nano")}
    if contact_cap is not None:  # a contact is at its cap when its spend alone reaches it
        aggregates["at_cap"] = Count("id", filter=Q(spent_nano__gte=contact_cap))
    contacts = rows.filter(scope__startswith="contact:").aggregate(**aggregates)
    spent = glob.spent_nano if glob else 0
    reserved = glob.reserved_nano if glob else 0
    return {
        "day": day,
        "global": {
            "spent": spent * NANO,
            "reserved": reserved * NANO,
            "cap": None if global_cap is None else global_cap * NANO,
            "used": None if not global_cap else min(1.0, (spent + reserved) / global_cap),
        },
        "contacts": {
            "count": contacts["count"],
            "spent": (contacts["spent"] or 0) * NANO,
            "highest": (contacts["highest"] or 0) * NANO,
            "cap": None if contact_cap is None else contact_cap * NANO,
            "at_cap": contacts.get("at_cap", 0),
        },
    }
