"""The AI's side of a turn: the compare-and-set of a message's reply state and the stored reply."""

import logging
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import router, transaction
from django.utils import timezone

from core.db import later_of, row_insert, update_sql
from core.statements import Compiled
from messaging.channels import channel_sender
from messaging.enums import Direction, ReplyState
from messaging.models import CONTENT_MAX_LENGTH, Conversation, Message
from messaging.selectors.bursts import burst_newer_waiting

logger = logging.getLogger("messages")


def _state_move_sql(using: str, shape: object, *, message_id: int, source: str, target: str, at: datetime):
    rows = Message.objects.using(using).filter(pk=message_id, reply_state=source)
    return update_sql(rows, reply_state=target, updated_at=at)


_STATE_MOVE = Compiled(
    _state_move_sql,
    message_id=Message._meta.get_field("id"),
    source=Message._meta.get_field("reply_state"),
    target=Message._meta.get_field("reply_state"),
    at=Message._meta.get_field("updated_at"),
)


def reply_state_move(*, message_id: int, source: str, target: str, at: datetime | None = None) -> bool:
    """Compare-and-set of a message's reply state (`source` → `target`): True for the one caller
    that moved it, so concurrent workers never both act on a message. Compiled once
    (core.statements): every turn runs it two or more times."""
    using = router.db_for_write(Message)
    at = at or timezone.now()
    return bool(_STATE_MOVE.execute(using=using, message_id=message_id, source=source, target=target, at=at))


def _reply_touch_sql(
    using: str,
    shape: object,
    *,
    conversation_id: int,
    at: datetime,
    agent: str | None = None,
    lease_token: str | None = None,
):
    rows = Conversation.objects.using(using).filter(pk=conversation_id)
    fields: dict = {"updated_at": at, "last_message_at": later_of("last_message_at", at)}
    if agent is not None:
        fields.update(last_agent=agent, last_agent_at=at)
    if lease_token is not None:  # the lease is released by the UPDATE that records the reply
        rows = rows.filter(ai_lease_token=lease_token)
        fields.update(ai_lease_until=None, ai_lease_token="")
    return update_sql(rows, **fields)


_REPLY_TOUCH = Compiled(
    _reply_touch_sql,
    conversation_id=Conversation._meta.get_field("id"),
    at=Conversation._meta.get_field("updated_at"),
    agent=Conversation._meta.get_field("last_agent"),
    lease_token=Conversation._meta.get_field("ai_lease_token"),
)


def _reply_touch(*, conversation_id: int, at: datetime, agent: str | None, lease_token: str | None) -> bool:
    """The reply's conversation: its times moved, the sticky agent (`agent`) recorded, and with
    `lease_token` the lease released, in one UPDATE compiled once (core.statements). False when the
    lease is no longer `lease_token`'s (another worker took the turn over)."""
    values: dict[str, object] = {"conversation_id": conversation_id, "at": at}
    if agent is not None:
        values["agent"] = agent
    if lease_token:
        values["lease_token"] = lease_token
    using = router.db_for_write(Conversation)
    return bool(_REPLY_TOUCH.execute(using=using, **values)) or not lease_token


def ai_reply_store(
    *,
    message: Message,
    text: str,
    ok: bool = True,
    agent: str = "",
    model: str = "",
    prompt_tokens: int | None = None,
    completion_tokens: int | None = None,
    cost: Decimal | None = None,
    sticky_agent: bool = False,
    lease_token: str | None = None,
    burst: list[int] | None = None,
) -> Message | None:
    """Finish a claimed (`processing`) message and store the bot's reply in one transaction, or
    store nothing and return None when the turn no longer owns the message: the claim was lost, or
    (with `lease_token`) the conversation's lease was taken over by another worker. The lease is
    released by the same UPDATE that records the reply. With `sticky_agent` the conversation
    remembers the agent for routing. `cost` (USD) is what the turn's LLM calls cost.

    `burst` (one reply per burst, issue 27): the ids of the earlier messages the reply also answers
    (claimed with `message`). Checked in the same transaction that marks them answered: when a newer
    message of the conversation waits, the reply is stale and not stored; `message` and the burst go
    back to `pending` for the newer message's turn, which answers them all."""
    state = ReplyState.DONE if ok else ReplyState.FAILED
    conversation = message.conversation
    with transaction.atomic():
        if burst is not None and burst_newer_waiting(message):
            _burst_unclaim(message=message, burst=burst, lease_token=lease_token)
            return None
        if not reply_state_move(message_id=message.pk, source=ReplyState.PROCESSING, target=state):
            logger.warning("Message %s was no longer claimed when its AI reply was ready; dropped", message.pk)
            return None
        if burst and not _burst_close(burst, state=state):
            transaction.set_rollback(True)
            logger.warning("A message of message %s's burst was no longer claimed; reply dropped", message.pk)
            return None
        ai_fields = {
            "agent": agent,
            "model": model[:100],
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
        }
        external = message.direction == Direction.INBOUND
        reply = Message(
            conversation=conversation,
            sender_id=settings.AI_BOT_USER_ID,
            recipient_id=message.sender_id,
            content=text[:CONTENT_MAX_LENGTH],
            channel=message.channel,
            direction=Direction.INTERNAL,
            is_read=False,
            in_reply_to=message,
            ai_cost=cost,
            **ai_fields,
        )
        if conversation is not None:
            at = timezone.now()
            reply.created_at = at
            sticky = agent if sticky_agent else None
            if not _reply_touch(conversation_id=conversation.pk, at=at, agent=sticky, lease_token=lease_token):
                transaction.set_rollback(True)  # the message stays claimed by the worker that took over
                logger.warning("AI lease of message %s was taken over before its reply was stored; dropped", message.pk)
                return None
        if external:  # an SMS or WhatsApp message: the reply goes back through its channel,
            # sent by this task once its transaction commits (no second task for the send)
            reply = channel_sender(message.channel).reply(
                to_message=message, text=reply.content, send_here=True, sender_id=settings.AI_BOT_USER_ID, **ai_fields
            )
            if cost is not None:
                # Set on the reply's first row only: the channel copies what it is given to every
                # part of a long reply but the token counts, so the cost goes here, like them once.
                Message.objects.filter(pk=reply.pk).update(ai_cost=cost)
                reply.ai_cost = cost
        else:
            # Both foreign keys are rows the caller just read: skip their existence queries.
            reply.full_clean(exclude=["conversation", "in_reply_to"])
            row_insert(reply)
    message.reply_state = state
    logger.info(
        "AI reply %s to message %s stored (%s, agent=%s, model=%s, tokens=%s/%s, cost=%s)",
        reply.pk,
        message.pk,
        state,
        agent or "-",
        model or "-",
        prompt_tokens,
        completion_tokens,
        cost,
    )
    return reply


def _burst_close(burst: list[int], *, state: str) -> bool:
    """Mark the burst's earlier messages answered; False when one was no longer claimed."""
    moved = [reply_state_move(message_id=pk, source=ReplyState.PROCESSING, target=state) for pk in burst]
    return all(moved)


def _burst_unclaim(*, message: Message, burst: list[int], lease_token: str | None) -> None:
    """A stale reply: nothing stored, the burst back to `pending` (unless the turn lost its lease:
    then the worker that took over owns the claims)."""
    conversation_id = message.conversation_id
    lease = Conversation.objects.filter(pk=conversation_id or 0, ai_lease_token=lease_token)
    if lease_token and not lease.exists():
        logger.warning("AI lease of message %s was taken over before its reply was stored; dropped", message.pk)
        return
    for pk in [*burst, message.pk]:
        reply_state_move(message_id=pk, source=ReplyState.PROCESSING, target=ReplyState.PENDING)
    message.reply_state = ReplyState.PENDING
    logger.info(
        "AI reply to message %s is stale: a newer message of conversation %s waits; not sent, its burst "
        "goes to the newer one's turn",
        message.pk,
        conversation_id,
    )
