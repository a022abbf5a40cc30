"""One AI turn: answer a user's message to the bot (CONTRACT §4.3.1–4.3.2, §8.2, §8.5, §9.4).

Exactly one reply per message, whatever the redeliveries: the message is claimed with a
compare-and-set UPDATE `pending → processing`, and only the claimer answers. One turn at a time per
conversation: a lease on the Conversation row (`ai_lease_until`/`ai_lease_token`) taken by another
compare-and-set UPDATE; a second message that arrives meanwhile waits (LeaseBusy, the task retries)
and is answered afterwards with the first exchange in its history. No transaction and no lock is held
across the LLM call; the lease is renewed before each model round and released in `finally`, and a
lease left by a dead worker simply expires (the sweeper then re-enqueues the message).
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import User
from messaging.enums import ConversationMode, Direction, ReplyState
from messaging.models import CONTENT_MAX_LENGTH, Conversation, Message
from messaging.selectors import ai_history
from messaging.services import last_message_at_moved_to
from orchestrator.agents import route
from orchestrator.chat_engine import not_configured_reply
from orchestrator.exceptions import LeaseBusy
from orchestrator.handoff import BACK_TO_AI_ACK, HANDOFF_ACK, conversation_mode_set, mode_command
from orchestrator.llm import llm_settings
from orchestrator.runner import run_agent

logger = logging.getLogger("orchestrator")

FALLBACK_TEXT = "I apologize, but I'm having trouble responding right now. Please try again later."
SYNC_FALLBACK_TEXT = "I apologize, but I encountered an error while processing your message. Please try again later."
CHAT_ENGINE = "chat_engine"
LEASE_GRACE_S = 30
LEASE_POLL_S = 0.1
SWEEP_BATCH = 500


@dataclass(frozen=True)
class Answer:
    """The text to store as the bot's reply, and what produced it."""

    text: str
    ok: bool = True
    agent: str = ""
    model: str = ""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


# --- claims and the conversation lease ------------------------------------------------------


def _claim(message_id: int) -> bool:
    now = timezone.now()
    return bool(
        Message.objects.filter(pk=message_id, reply_state=ReplyState.PENDING).update(
            reply_state=ReplyState.PROCESSING, updated_at=now
        )
    )


def _unclaim(message_id: int) -> None:
    Message.objects.filter(pk=message_id, reply_state=ReplyState.PROCESSING).update(
        reply_state=ReplyState.PENDING, updated_at=timezone.now()
    )


def lease_seconds() -> float:
    """Long enough for one model round with its retries; renewed before every round."""
    return float(settings.AI_LLM_TIMEOUT_S) * (int(settings.AI_LLM_RETRIES) + 1) + LEASE_GRACE_S


def lease_acquire(*, conversation_id: int) -> str | None:
    """Take the conversation's AI lease if it is free or expired; the token, or None when busy."""
    token = uuid.uuid4().hex
    now = timezone.now()
    taken = (
        Conversation.objects.filter(pk=conversation_id)
        .filter(Q(ai_lease_until__isnull=True) | Q(ai_lease_until__lte=now))
        .update(ai_lease_until=now + timedelta(seconds=lease_seconds()), ai_lease_token=token)
    )
    return token if taken else None


def lease_renew(*, conversation_id: int, token: str) -> bool:
    until = timezone.now() + timedelta(seconds=lease_seconds())
    renewed = Conversation.objects.filter(pk=conversation_id, ai_lease_token=token).update(ai_lease_until=until)
    if not renewed:
        logger.warning("AI lease of conversation %s was lost during a turn", conversation_id)
    return bool(renewed)


def lease_release(*, conversation_id: int, token: str) -> None:
    Conversation.objects.filter(pk=conversation_id, ai_lease_token=token).update(ai_lease_until=None, ai_lease_token="")


# --- the reply itself -------------------------------------------------------------------------


def generate_reply(
    *,
    text: str,
    user: User | None,
    conversation: Conversation | None,
    channel: str,
    history: list[dict],
    deadline: float | None = None,
    fallback_text: str = FALLBACK_TEXT,
    lease_token: str | None = None,
) -> Answer:
    """The assistant's answer to `text`: the chat engine when no LLM is configured, else the routed
    agent. Never raises for LLM trouble and never shows an exception text: a failure is the fallback
    text with `ok=False`, and the cause goes to the `orchestrator` log. Reused by the Twilio channel."""
    user_id = getattr(user, "pk", None)
    logger.debug("User %s: %s... (history_len=%s)", user_id, text[:100], len(history))
    logger.info("User %s: message of %s chars (history_len=%s)", user_id, len(text), len(history))

    config = llm_settings()
    if not config.configured:
        return Answer(text=not_configured_reply(text), agent=CHAT_ENGINE)

    def renew(round_number: int) -> None:
        # The lease was just taken for round 1; later rounds extend it.
        if round_number > 1 and conversation is not None and lease_token:
            lease_renew(conversation_id=conversation.pk, token=lease_token)

    agent_name = ""
    try:
        agent = route(text=text, conversation=conversation, user=user)
        agent_name = agent.name
        run = run_agent(
            agent=agent,
            user=user,
            conversation=conversation,
            channel=channel,
            history=history,
            text=text,
            deadline=deadline,
            config=config,
            on_round=renew,
        )
    except Exception:  # a bug must still give the user the fallback, never a traceback
        logger.exception("AI turn of user %s crashed in %s", user_id, agent_name or "routing")
        return Answer(text=fallback_text, ok=False, agent=agent_name)
    tokens = {"prompt_tokens": run.prompt_tokens, "completion_tokens": run.completion_tokens}
    if not run.ok:
        logger.warning(
            "AI turn of user %s failed in %s after %s rounds and %s tool calls: %s",
            user_id,
            agent.name,
            run.rounds,
            run.tool_calls,
            run.failure,
        )
        return Answer(text=fallback_text, ok=False, agent=agent.name, model=run.model, **tokens)
    return Answer(text=run.text, agent=agent.name, model=run.model, **tokens)


def _store_reply(
    *, message: Message, conversation: Conversation | None, answer: Answer, lease_token: str | None = None
) -> Message | None:
    """Finish the claimed message and store the bot's reply in one transaction. The finishing
    UPDATE is a compare-and-set too: if the claim was lost, nothing is stored. With `lease_token`
    the conversation's lease is released by the same UPDATE that records the reply."""
    state = ReplyState.DONE if answer.ok else ReplyState.FAILED
    with transaction.atomic():
        finished = Message.objects.filter(pk=message.pk, reply_state=ReplyState.PROCESSING).update(
            reply_state=state, updated_at=timezone.now()
        )
        if not finished:
            logger.warning("Message %s was no longer claimed when its AI reply was ready; dropped", message.pk)
            return None
        reply = Message(
            conversation=conversation,
            sender_id=settings.AI_BOT_USER_ID,
            recipient_id=message.sender_id,
            content=answer.text[:CONTENT_MAX_LENGTH],
            channel=message.channel,
            direction=Direction.INTERNAL,
            is_read=False,
            in_reply_to=message,
            agent=answer.agent,
            model=answer.model[:100],
            prompt_tokens=answer.prompt_tokens,
            completion_tokens=answer.completion_tokens,
        )
        # Both foreign keys are rows this turn just read: skip their existence queries.
        reply.full_clean(exclude=["conversation", "in_reply_to"])
        reply.save()
        if conversation is not None:
            fields = {
                "updated_at": reply.created_at,
                # never moves back: a later message may already have been stored
                "last_message_at": last_message_at_moved_to(reply.created_at),
            }
            if answer.agent and answer.agent != CHAT_ENGINE:
                fields.update(last_agent=answer.agent, last_agent_at=reply.created_at)
            this = Conversation.objects.filter(pk=conversation.pk)
            released = lease_token and this.filter(ai_lease_token=lease_token).update(
                **fields, ai_lease_until=None, ai_lease_token=""
            )
            if not released:  # no lease, or it was lost (expired and taken): leave it to its holder
                this.update(**fields)
    message.reply_state = state
    logger.info(
        "AI reply %s to message %s stored (%s, agent=%s, model=%s, tokens=%s/%s)",
        reply.pk,
        message.pk,
        state,
        answer.agent or "-",
        answer.model or "-",
        answer.prompt_tokens,
        answer.completion_tokens,
    )
    return reply


def _skip(message: Message) -> None:
    Message.objects.filter(pk=message.pk, reply_state=ReplyState.PROCESSING).update(
        reply_state=ReplyState.SKIPPED, updated_at=timezone.now()
    )
    message.reply_state = ReplyState.SKIPPED


def _sender(message: Message) -> User | None:
    if message.sender_id is None or message.sender_id == settings.AI_BOT_USER_ID:
        return None
    conversation = message.conversation
    if conversation is not None and conversation.user_id == message.sender_id:
        return conversation.user  # the owner of an AI thread, read with the message
    return User.objects.filter(pk=message.sender_id).first()


def _answer_claimed(
    *,
    message: Message,
    conversation: Conversation | None,
    deadline: float | None,
    fallback_text: str,
    token: str | None,
) -> Message | None:
    command = mode_command(message.content)
    if command is not None and conversation is not None:
        conversation_mode_set(conversation=conversation, mode=command, source="user command")
        ack = HANDOFF_ACK if command == ConversationMode.HUMAN else BACK_TO_AI_ACK
        return _store_reply(message=message, conversation=conversation, answer=Answer(text=ack), lease_token=token)
    if conversation is not None and conversation.mode == ConversationMode.HUMAN:
        _skip(message)
        logger.info("Conversation %s is in human mode: no AI reply to message %s", conversation.pk, message.pk)
        return None
    history = ai_history(conversation=conversation, before=message) if conversation else []
    answer = generate_reply(
        text=message.content,
        user=_sender(message),
        conversation=conversation,
        channel=message.channel,
        history=history,
        deadline=deadline,
        fallback_text=fallback_text,
        lease_token=token,
    )
    return _store_reply(message=message, conversation=conversation, answer=answer, lease_token=token)


def _earlier_waiting() -> Exists:
    """Messages of one conversation are answered in order: two tasks picked up together must not
    let the later message overtake. A stale earlier message (lost task) does not block: the sweeper
    brings it back, and the conversation goes on meanwhile. Evaluated inside the claim's UPDATE."""
    recent = timezone.now() - timedelta(seconds=settings.AI_STALE_REPLY_AFTER_S)
    return Exists(
        Message.objects.filter(
            conversation_id=OuterRef("conversation_id"),
            recipient_id=settings.AI_BOT_USER_ID,
            reply_state__in=[ReplyState.PENDING, ReplyState.PROCESSING],
            updated_at__gte=recent,
        ).filter(Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk")))
    )


def _claim_in_order(message_id: int) -> bool:
    """`_claim`, but only when no earlier message of the conversation still waits for its reply.
    Raises LeaseBusy (the message stays pending) when one does; False when there is nothing to do."""
    now = timezone.now()
    claimed = (
        Message.objects.filter(pk=message_id, reply_state=ReplyState.PENDING)
        .exclude(_earlier_waiting())
        .update(reply_state=ReplyState.PROCESSING, updated_at=now)
    )
    if claimed:
        return True
    # Rare path: tell "an earlier message goes first" from "already handled or deleted".
    if Message.objects.filter(pk=message_id, reply_state=ReplyState.PENDING).exists():
        raise LeaseBusy(f"message {message_id}: an earlier message of its conversation goes first")
    return False


def ai_reply_process(
    *, message_id: int, deadline: float | None = None, fallback_text: str = FALLBACK_TEXT
) -> Message | None:
    """Answer one pending message to the bot; the stored reply, or None when there is nothing to
    do (already claimed or answered, deleted, or the conversation is in human mode). Raises
    LeaseBusy, with the message back to `pending`, when another turn of the conversation runs."""
    if not _claim_in_order(message_id):
        logger.info("Message %s is not pending: AI reply already handled, skipping", message_id)
        return None
    # The conversation comes with the message: the claim above passed only once every earlier
    # turn of it had stored its reply, so its mode, stickiness and reset marker are current (short
    # of a turn judged stale finishing between this read and the lease below: it held the lease
    # until then, so this read is at worst one stale turn behind, never half-written).
    message = Message.objects.select_related("conversation__user").filter(pk=message_id).first()
    if message is None:
        return None
    conversation = message.conversation
    token = None
    if conversation is not None:
        token = lease_acquire(conversation_id=conversation.pk)
        if token is None:
            _unclaim(message_id)
            raise LeaseBusy(f"conversation {conversation.pk} is busy")
    released = False
    try:
        reply = _answer_claimed(
            message=message, conversation=conversation, deadline=deadline, fallback_text=fallback_text, token=token
        )
        released = reply is not None  # storing the reply released the lease in the same UPDATE
        return reply
    finally:
        if token is not None and not released:
            lease_release(conversation_id=conversation.pk, token=token)


def _fail_unanswered(*, message_id: int, text: str) -> Message | None:
    """The blocking path ran out of time before it could start a turn: answer with the fallback."""
    if not _claim(message_id):
        return None
    message = Message.objects.select_related("conversation").get(pk=message_id)
    logger.warning("Message %s: conversation busy until the sync deadline; fallback reply", message_id)
    return _store_reply(message=message, conversation=message.conversation, answer=Answer(text=text, ok=False))


def ai_reply_sync(*, message_id: int) -> Message:
    """The blocking turn of `POST /messages/ai` (§4.3.2): the same service run inline, bounded as a
    whole (rounds, retries and the wait for a busy conversation) by AI_SYNC_TIMEOUT_S. Always
    returns a Message: the reply, the fallback reply on failure, or, when the conversation is in
    human mode and the AI stays silent, the user's own stored message."""
    budget = float(settings.AI_SYNC_TIMEOUT_S)
    started = time.monotonic()
    deadline = started + budget
    wait_until = started + budget / 2  # never spend more than half the budget waiting for the lease
    while True:
        try:
            reply = ai_reply_process(message_id=message_id, deadline=deadline, fallback_text=SYNC_FALLBACK_TEXT)
            break
        except LeaseBusy:
            if time.monotonic() + LEASE_POLL_S >= wait_until:
                reply = _fail_unanswered(message_id=message_id, text=SYNC_FALLBACK_TEXT)
                break
            time.sleep(LEASE_POLL_S)
    if reply is not None:
        return reply
    existing = (
        Message.objects.filter(in_reply_to_id=message_id, sender_id=settings.AI_BOT_USER_ID).order_by("-id").first()
    )
    return existing or Message.objects.get(pk=message_id)


# --- sweeper ----------------------------------------------------------------------------------


def ai_replies_sweep(*, older_than_s: float | None = None) -> list[int]:
    """Messages to the bot left `pending` (broker down, lost task) or `processing` (worker died
    mid-turn: its lease has expired) for longer than AI_STALE_REPLY_AFTER_S. Processing ones go
    back to `pending` by compare-and-set; the ids returned are for the caller to re-enqueue."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.AI_STALE_REPLY_AFTER_S if older_than_s is None else older_than_s)
    to_bot = Message.objects.filter(recipient_id=settings.AI_BOT_USER_ID, direction=Direction.INTERNAL)
    lease_free = (
        Q(conversation__isnull=True)
        | Q(conversation__ai_lease_until__isnull=True)
        | Q(conversation__ai_lease_until__lte=now)
    )
    ids: list[int] = []
    stuck = to_bot.filter(lease_free, reply_state=ReplyState.PROCESSING, updated_at__lt=cutoff)
    for pk in stuck.values_list("pk", flat=True)[:SWEEP_BATCH]:
        if Message.objects.filter(pk=pk, reply_state=ReplyState.PROCESSING, updated_at__lt=cutoff).update(
            reply_state=ReplyState.PENDING, updated_at=now
        ):
            ids.append(pk)
    waiting = to_bot.filter(reply_state=ReplyState.PENDING, updated_at__lt=cutoff)
    for pk in waiting.values_list("pk", flat=True)[:SWEEP_BATCH]:
        # Touch the row so a long broker outage re-enqueues it once per interval, not every sweep.
        if Message.objects.filter(pk=pk, reply_state=ReplyState.PENDING, updated_at__lt=cutoff).update(updated_at=now):
            ids.append(pk)
    if ids:
        logger.warning("Sweeper re-enqueues %s stale AI message(s): %s", len(ids), ids[:20])
    return ids
