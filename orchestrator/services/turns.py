"""One AI turn: answer a user's message to the bot.

The message is claimed and its conversation leased first (`orchestrator.services.claims`); a second
message that arrives meanwhile waits (LeaseBusy, the task retries) and is answered afterwards with
the first exchange in its history. The lease is renewed before each model round and released with
the reply (or in `finally`).
"""

from __future__ import annotations

import logging
import time
from contextlib import nullcontext
from dataclasses import dataclass, replace
from decimal import Decimal

from django.conf import settings

from accounts.models import User
from messaging.channels import burst_window, reply_refused
from messaging.context import CHAT_ENGINE_AGENT
from messaging.enums import ConversationMode, ModeReason, ReplyState
from messaging.models import Conversation, Message
from messaging.selectors.bursts import burst_newer_waiting
from messaging.selectors.history import ai_history
from messaging.selectors.messages import WITH_OWNER, message_with
from messaging.services.ai_replies import ai_reply_store, reply_state_move
from messaging.services.conversations import conversation_mode_set
from orchestrator.agents import route
from orchestrator.chat_engine import not_configured_reply
from orchestrator.citations import with_sources
from orchestrator.exceptions import LeaseBusy
from orchestrator.handoff import BACK_TO_AI_ACK, HANDOFF_ACK, burst_switch, mode_command
from orchestrator.llm import llm_settings
from orchestrator.runner import AgentRun, run_agent
from orchestrator.services.claims import (
    burst_claim,
    claim,
    claim_in_order,
    heartbeat,
    lease_acquire,
    lease_release,
    skip,
    unclaim,
)
from orchestrator.services.spend import HANDOFF, exhausted_action

logger = logging.getLogger("orchestrator")

FALLBACK_TEXT = "I apologize, but I'm having trouble responding right now. Please try again later."
SYNC_FALLBACK_TEXT = "I apologize, but I encountered an error while processing your message. Please try again later."
CHAT_ENGINE = CHAT_ENGINE_AGENT  # the agent of the chat engine's replies: no context for the model
LEASE_POLL_S = 0.1


@dataclass(frozen=True)
class Answer:
    """The text to store as the bot's reply, and what produced it."""

    text: str
    ok: bool = True
    agent: str = ""
    model: str = ""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost: Decimal | None = None


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
        )
    except Exception:  # a bug must still give the user the fallback, never a traceback
        logger.exception("AI turn of user %s crashed in %s", user_id, agent_name or "routing")
        return Answer(text=fallback_text, ok=False, agent=agent_name)
    if run.budget_exhausted:
        return _budget_answer(run=run, conversation=conversation, fallback_text=fallback_text, channel=channel)
    if not run.ok:
        logger.warning(
            "AI turn of user %s failed in %s after %s rounds and %s tool calls: %s",
            user_id,
            agent.name,
            run.rounds,
            run.tool_calls,
            run.failure,
        )
    return Answer(
        text=with_sources(run.text, run.sources, channel) if run.ok else fallback_text,
        ok=run.ok,
        agent=agent.name,
        model=run.model,
        prompt_tokens=run.prompt_tokens,
        completion_tokens=run.completion_tokens,
        cost=run.cost,
    )


def _budget_answer(*, run: AgentRun, conversation: Conversation | None, fallback_text: str, channel: str) -> Answer:
    """A spend cap had no room for the turn's next model call (AI_BUDGET_EXHAUSTED_ACTION): the
    fallback text, or the conversation handed to staff with the handoff's acknowledgement. What
    earlier rounds of the turn used is recorded with it."""
    used = Answer(
        text=fallback_text,
        ok=False,
        agent=run.agent,
        model=run.model,
        prompt_tokens=run.prompt_tokens or None,
        completion_tokens=run.completion_tokens or None,
        cost=run.cost,
    )
    if exhausted_action() == HANDOFF and conversation is not None:
        conversation_mode_set(
            conversation=conversation,
            mode=ConversationMode.HUMAN,
            reason=ModeReason.BUDGET,
            source="budget",
            channel=channel,
        )
        return replace(used, text=HANDOFF_ACK, ok=True, agent="")
    return used


def _store(
    *, message: Message, answer: Answer, lease_token: str | None = None, burst: list[int] | None = None
) -> Message | None:
    return ai_reply_store(
        message=message,
        text=answer.text,
        ok=answer.ok,
        agent=answer.agent,
        model=answer.model,
        prompt_tokens=answer.prompt_tokens,
        completion_tokens=answer.completion_tokens,
        cost=answer.cost,
        sticky_agent=bool(answer.agent) and answer.agent != CHAT_ENGINE,
        lease_token=lease_token,
        burst=burst,
    )


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
    burst: list[int] | None = None,
) -> Message | None:
    """The turn of a claimed message (and, with `burst`, of the earlier messages claimed with it:
    they are in its history, so the model sees them all, and the one reply answers them all). A
    "human"/"bot" anywhere in the burst takes effect as on a message of its own (`_switch`)."""
    if burst and conversation is not None:
        switched = _switch(message=message, conversation=conversation, burst=burst, token=token)
        if switched is not None:
            return switched[0]
    command = mode_command(message.content)
    if command is not None and conversation is not None:
        conversation_mode_set(
            conversation=conversation,
            mode=command,
            reason=ModeReason.ASKED,
            source="user command",
            channel=message.channel,
        )
        ack = HANDOFF_ACK if command == ConversationMode.HUMAN else BACK_TO_AI_ACK
        return _store(message=message, answer=Answer(text=ack), lease_token=token, burst=burst)
    human = conversation is not None and conversation.mode == ConversationMode.HUMAN
    if human or reply_refused(message):  # staff answer in human mode; none after a STOP
        for pk in burst or []:
            reply_state_move(message_id=pk, source=ReplyState.PROCESSING, target=ReplyState.SKIPPED)
        skip(message)
        logger.info(
            "Conversation %s: no AI reply to message %s (human mode or opted out)", message.conversation_id, message.pk
        )
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
    )
    return _store(message=message, answer=answer, lease_token=token, burst=burst)


def _switch(
    *, message: Message, conversation: Conversation, burst: list[int], token: str | None
) -> tuple[Message | None] | None:
    """The last "human"/"bot" of a burst (`burst` the earlier claimed ids, `message` the newest),
    taken as on a message of its own; None when the burst has none, else a 1-tuple of the reply.
    "human": its acknowledgement answers it and what came before; what follows is left to staff
    (`skipped`). "bot": the mode goes back to the AI; the acknowledgement when it is the newest,
    else the turn goes on and the AI answers what follows (the burst is left as it is)."""
    rows = [*Message.objects.filter(pk__in=burst).order_by("created_at", "id"), message]
    switch = burst_switch([row.content for row in rows])
    if switch is None:
        return None
    index, command = switch
    conversation_mode_set(
        conversation=conversation, mode=command, reason=ModeReason.ASKED, source="user command", channel=message.channel
    )
    if command == ConversationMode.AI and index < len(rows) - 1:
        conversation.mode = ConversationMode.AI
        return None
    # What follows "human" is closed first, so that the acknowledgement's stale check (a newer
    # message waits) looks past it.
    for row in rows[index + 1 :]:
        reply_state_move(message_id=row.pk, source=ReplyState.PROCESSING, target=ReplyState.SKIPPED)
    switched = rows[index]
    switched.conversation = conversation
    ack = HANDOFF_ACK if command == ConversationMode.HUMAN else BACK_TO_AI_ACK
    earlier = [row.pk for row in rows[:index]]
    return (_store(message=switched, answer=Answer(text=ack), lease_token=token, burst=earlier),)


def ai_reply_process(
    *, message_id: int, deadline: float | None = None, fallback_text: str = FALLBACK_TEXT
) -> Message | None:
    """Answer one pending message to the bot; the stored reply, or None when there is nothing to
    do (already claimed or answered, deleted, the conversation is in human mode, or a newer message
    of its burst answers it). Raises LeaseBusy, with the message back to `pending`, when another
    turn of the conversation runs.

    One reply per burst (issue 27), when the message's channel has a burst window: its task was
    queued after the window, and it answers only if no newer message of the conversation waits
    (else it leaves the message to the newer one's turn); the turn claims the earlier messages
    still pending with it and answers them all; a message that arrives while it generates makes
    its reply stale (`ai_reply_store`)."""
    message = message_with(message_id, related=WITH_OWNER)
    if message is None:
        return None
    bursts = message.conversation_id is not None and burst_window(message.channel) > 0
    if bursts and burst_newer_waiting(message):
        logger.info("Message %s: a newer message of its burst waits; answered with it", message_id)
        return None
    if not claim_in_order(message_id, burst=bursts):
        logger.info("Message %s is not pending: AI reply already handled, skipping", message_id)
        return None
    message.reply_state = ReplyState.PROCESSING
    # The conversation as it was read with the message may be a turn behind (read before the
    # claim); the turn uses the row its lease's UPDATE returns: the claim passed only once every
    # earlier turn had stored its reply (or was judged stale), and a stale turn that still finishes
    # releases the lease in the UPDATE that stores its reply, so the leased row is current (mode,
    # stickiness, reset marker). Its owner (the user) is the one read with the message.
    conversation: Conversation | None = None
    token = None
    if message.conversation is not None:
        owner = message.conversation.user
        conversation = lease_acquire(conversation_id=message.conversation.pk)
        if conversation is None:
            unclaim(message_id)
            raise LeaseBusy(f"conversation {message.conversation_id} is busy")
        if owner is not None and conversation.user_id == owner.pk:
            conversation.user = owner
        token = conversation.ai_lease_token
        message.conversation = conversation
    released = False
    burst: list[int] | None = None
    try:
        if bursts:  # under the lease: no other turn of the conversation claims these meanwhile
            burst = burst_claim(message)
            if burst is None:  # an older message's task holds one of them for a moment
                unclaim(message_id)
                raise LeaseBusy(f"message {message_id}: an earlier message of its burst is claimed by another task")
        with heartbeat.holding(token) if token else nullcontext():
            reply = _answer_claimed(
                message=message,
                conversation=conversation,
                deadline=deadline,
                fallback_text=fallback_text,
                token=token,
                burst=burst,
            )
        released = reply is not None  # storing the reply released the lease in the same UPDATE
        return reply
    finally:
        if conversation is not None and token is not None and not released:
            lease_release(conversation_id=conversation.pk, token=token)


def _fail_unanswered(*, message_id: int, text: str) -> Message | None:
    """The blocking path ran out of time before it could start a turn: answer with the fallback."""
    if not claim(message_id):
        return None
    message = Message.objects.select_related("conversation").get(pk=message_id)
    logger.warning("Message %s: conversation busy until the sync deadline; fallback reply", message_id)
    return _store(message=message, answer=Answer(text=text, ok=False))


def ai_reply_sync(*, message_id: int) -> Message:
    """The blocking turn of `POST /messages/ai`: the same service run inline, bounded as a
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
