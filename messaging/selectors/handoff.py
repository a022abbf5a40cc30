"""Staff: the handoff inbox over every channel and a conversation's thread."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Max, OuterRef, Q, Subquery

from messaging.enums import ConversationMode, Direction, ModeReason
from messaging.models import Conversation, Message, ModeChange


@dataclass(frozen=True)
class HandoffSummary:
    conversation: Conversation
    last_customer_at: datetime | None  # the newest message of the person (inbound, or the AI thread's owner)
    last_answer_at: datetime | None  # the newest answer to them (outbound, staff, the bot)
    total_messages: int
    reason: str  # why it went to human mode (messaging.enums.ModeReason), "" when not recorded

    @property
    def reason_label(self) -> str:
        return str(ModeReason(self.reason).label) if self.reason in ModeReason.values else ""

    @property
    def waiting_since(self) -> datetime | None:
        """When the person started waiting for an answer; None when the newest message is an answer."""
        if self.last_customer_at is None:
            return None
        if self.last_answer_at is not None and self.last_answer_at >= self.last_customer_at:
            return None
        return self.last_customer_at


def _from_customer(prefix: str = "messages__") -> Q:
    # A phone contact writes inbound; in a web AI thread the person is the thread's owner.
    return Q(**{f"{prefix}direction": Direction.INBOUND}) | Q(
        **{f"{prefix}direction": Direction.INTERNAL, f"{prefix}sender_id": F("user_id")}
    )


def _newest_handoff_reason():
    """The reason of a conversation's newest switch to human mode (its index by conversation and time)."""
    return (
        ModeChange.objects.filter(conversation=OuterRef("pk"), mode=ConversationMode.HUMAN)
        .order_by("-created_at", "-id")
        .values("reason")[:1]
    )


def handoff_conversation_list(*, limit: int) -> list[HandoffSummary]:
    """Conversations in human mode over every channel (phone threads and users' AI threads), the
    longest waiting first, then those answered most recently; one query."""
    rows = (
        Conversation.objects.filter(mode=ConversationMode.HUMAN)
        .annotate(
            last_customer_at=Max("messages__created_at", filter=_from_customer()),
            last_answer_at=Max("messages__created_at", filter=~_from_customer()),
            total_messages=Count("messages"),
            reason=Subquery(_newest_handoff_reason()),
        )
        .select_related("user")
        .order_by(F("last_customer_at").asc(nulls_last=True), "-id")[:limit]
    )
    summaries = [
        HandoffSummary(
            conversation=row,
            last_customer_at=row.last_customer_at,
            last_answer_at=row.last_answer_at,
            total_messages=row.total_messages,
            reason=row.reason or "",
        )
        for row in rows
    ]
    waiting = sorted(
        ((since, s) for s in summaries if (since := s.waiting_since) is not None), key=lambda pair: pair[0]
    )
    answered = [s for s in summaries if s.waiting_since is None]  # still in the query's order
    return [s for _, s in waiting] + answered


def conversation_get(*, conversation_id: int) -> Conversation | None:
    return Conversation.objects.select_related("user").filter(pk=conversation_id).first()


def conversation_thread(*, conversation: Conversation, limit: int) -> list[Message]:
    """The newest `limit` messages of a conversation, oldest first, for the staff who answer it."""
    newest = Message.objects.filter(conversation=conversation).order_by("-created_at", "-id")[:limit]
    return list(reversed(list(newest)))
