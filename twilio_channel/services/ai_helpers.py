"""The staff's AI helpers over the Twilio channel (the staff API's AI routes and
`manage.py ai-send`): try the model on a phone thread, read the thread it would see, and generate a
message and send it.

Generation goes through the orchestrator's LLM seam (`orchestrator.llm`) with the AIConfig row's
key, model, temperature and system prompt; a caller's `api_key` replaces the key for one call only
and is never echoed or logged. Sends go through the one staff send (`staff_sends.staff_send`).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from core.exceptions import ApplicationError, BadGatewayError
from core.redact import mask_phone
from messaging.context import NOT_MODEL_CONTEXT
from messaging.enums import Direction
from messaging.models import Message
from orchestrator.llm import LLMSettings, chat_completion, llm_settings
from orchestrator.llm_errors import LLMError
from orchestrator.model_names import model_name_problem
from orchestrator.models import target_normalize
from orchestrator.selectors import ai_config_get
from twilio_channel.addresses import channel_of, on_channel
from twilio_channel.client import twilio_configured
from twilio_channel.errors import TwilioNotConfigured
from twilio_channel.selectors import channel_messages, message_dict
from twilio_channel.services.staff_sends import staff_send

logger = logging.getLogger("twilio_webhook")

NO_KEY = "No OpenAI key. Paste it in the form or save it in the configuration."
NO_PARTICIPANT = "Provide the conversation partner's number in the AI configuration or in the 'participant' field."
NO_CONTENT = "OpenAI returned no reply content."
REQUEST_FAILED = "OpenAI request failed: {kind}"
REPLY_FIELDS_REQUIRED = "Required fields: inbound_from and inbound_to."
INBOUND_FROM_INVALID = "Field 'inbound_from' must be E.164 formatted (e.g. +48123456789)"
FALLBACK_PROMPT = "This is a test of the OpenAI connection. Confirm that everything works."

HISTORY_LIMIT_DEFAULT = 20
CONVERSATION_LIMIT_DEFAULT = 50
LIMIT_MAX = 200
LATEST_INBOUND_LOOKBACK = 10  # the newest non-empty body among the last 10 inbound
AGENT = "ai_helper"  # the `agent` of a row sent by these helpers, to tell it from an auto-reply turn


class NoAIKey(ApplicationError):
    """Neither the call, the AIConfig row, the environment nor LITELLM_BASEURL gives a way to the LLM."""

    def __init__(self) -> None:
        super().__init__(NO_KEY)


class NoParticipant(ApplicationError):
    def __init__(self) -> None:
        super().__init__(NO_PARTICIPANT)


class NoReplyContent(BadGatewayError):
    def __init__(self) -> None:
        super().__init__(NO_CONTENT)


@dataclass(frozen=True)
class Generated:
    text: str
    model: str
    temperature: float | None
    prompt_tokens: int
    completion_tokens: int


def _limit(value: int) -> int:
    return max(1, min(LIMIT_MAX, value))


def _llm_config(api_key: str | None) -> LLMSettings:
    config = llm_settings()
    if api_key and api_key.strip():
        config = dataclasses.replace(config, api_key=api_key.strip())
    if not config.configured:  # a LITELLM_BASEURL counts as configured
        raise NoAIKey()
    problem = model_name_problem(config.model)
    if problem is not None:  # said here, before any request, so no remote answer is ever reflected
        raise ApplicationError(problem, extra={"field": "model"})
    return config


def _configured_target() -> str:
    config = ai_config_get()  # a read: T4 and T17 write nothing, not even the singleton row
    return config.target_number.strip() if config is not None else ""


def _participant(raw: str | None) -> tuple[str, str]:
    """(raw address, normalised number) of the override, else of the configured target."""
    address = (raw or "").strip() or _configured_target()
    number = target_normalize(address)
    if not number:
        raise NoParticipant()
    return address, number


def _thread(number: str) -> QuerySet[Message]:
    # Both Twilio channels: the AI helpers match on the number alone (T17).
    return channel_messages().filter(participant_number=number).exclude(content="")


def _answered(number: str, text: str) -> Message | None:
    """The stored message that `text` answers: the thread's newest row when it is an inbound one
    with that body. It is left out of the history, since it is sent as the latest user turn (no
    duplicate)."""
    newest = _thread(number).order_by("-created_at", "-id").first()
    if newest is not None and newest.direction == Direction.INBOUND and newest.content.strip() == text.strip():
        return newest
    return None


def participant_history(*, number: str, limit: int, exclude: Message | None = None) -> list[dict[str, str]]:
    """The newest `limit` turns with `number`, oldest first; inbound = user, outbound = assistant.
    Failed sends are left out (the participant never saw them), and so is what the server answered in
    the model's place (messaging.context)."""
    rows = _thread(number).exclude(direction=Direction.OUTBOUND, status="failed").exclude(NOT_MODEL_CONTEXT)
    if exclude is not None:
        rows = rows.exclude(pk=exclude.pk)
    turns = rows.order_by("-created_at", "-id").values("direction", "content")[:limit]
    return [
        {"role": "user" if row["direction"] == Direction.INBOUND else "assistant", "content": row["content"]}
        for row in reversed(list(turns))
    ]


def _generate(*, config: LLMSettings, history: list[dict[str, str]], latest: str | None, action: str) -> Generated:
    messages: list[dict] = []
    if config.system_prompt:
        messages.append({"role": "system", "content": config.system_prompt})
    messages.extend(history)
    if latest:
        messages.append({"role": "user", "content": latest})
    if not messages:  # nothing to answer, no call
        raise NoReplyContent()
    deadline = time.monotonic() + float(settings.AI_SYNC_TIMEOUT_S)
    try:
        reply = chat_completion(messages=messages, deadline=deadline, config=config)
    except LLMError as exc:
        # The summary is a kind and a class name or HTTP status: never the key, prompt or body.
        logger.warning("AI %s: LLM request failed: %s", action, exc.summary)
        raise BadGatewayError(REQUEST_FAILED.format(kind=exc.summary)) from None
    text = reply.text.strip()
    if not text:
        logger.warning("AI %s: the LLM returned no content", action)
        raise NoReplyContent()
    return Generated(
        text=text,
        model=config.model,
        temperature=config.temperature,
        prompt_tokens=reply.prompt_tokens,
        completion_tokens=reply.completion_tokens,
    )


def ai_test(
    *,
    participant: str | None = None,
    message: str | None = None,
    api_key: str | None = None,
    history_limit: int = HISTORY_LIMIT_DEFAULT,
    use_latest_message: bool = True,
    participant_required: bool = True,
) -> dict[str, Any]:
    """T4: what the model would answer in a thread; no SMS, no database write. Without
    `participant_required` (the staff panel's connection test) no number at all means a test
    without a thread's history; a number typed that does not normalise is still refused."""
    config = _llm_config(api_key)
    try:
        address, number = _participant(participant)
    except NoParticipant:
        if participant_required or (participant or "").strip():
            raise
        address, number = "", ""
    limit = _limit(history_limit)
    latest_message: Message | None = None
    text = (message or "").strip()
    answered: Message | None = None
    if not number:
        pass  # no thread: the test text or the default prompt alone
    elif not text and use_latest_message:
        recent = _thread(number).filter(direction=Direction.INBOUND).order_by("-created_at", "-id")
        latest_message = next((row for row in recent[:LATEST_INBOUND_LOOKBACK] if row.content.strip()), None)
        if latest_message is not None:
            text, answered = latest_message.content, latest_message
    elif text:
        answered = _answered(number, text)
    fallback_used = not text
    if fallback_used:
        text = FALLBACK_PROMPT
    history = participant_history(number=number, limit=limit, exclude=answered) if number else []
    generated = _generate(config=config, history=history, latest=text, action="test")
    logger.info("AI test for %s: reply of %s chars", mask_phone(number) or "no number", len(generated.text))
    return {
        "participant": address,
        "participant_normalized": number,
        "input": text,
        "reply": generated.text,
        "model": generated.model,
        "temperature": generated.temperature,
        "history_limit": limit,
        "used_latest_message": latest_message is not None,
        "latest_message": message_dict(latest_message) if latest_message is not None else None,
        "fallback_used": fallback_used,
    }


def ai_conversation(*, participant: str | None = None, limit: int = CONVERSATION_LIMIT_DEFAULT) -> dict[str, Any]:
    """T17: the thread the AI sees for a number (the configured target by default), oldest first."""
    number = target_normalize((participant or "").strip() or _configured_target())
    if not number:
        return {"participant": "", "items": []}
    rows = channel_messages().filter(participant_number=number).order_by("-created_at", "-id")
    newest = list(rows[: _limit(limit)])
    return {"participant": number, "items": [message_dict(row) for row in reversed(newest)]}


def _send_generated(
    *, to: str, generated: Generated, sender_id: int | None, action: str, from_: str = "", **send_fields: Any
) -> Message:
    fields: dict[str, Any] = {
        "body": generated.text,
        "sender_id": sender_id,
        "agent": AGENT,
        "model": generated.model,
        "prompt_tokens": generated.prompt_tokens,
        "completion_tokens": generated.completion_tokens,
    }
    message = staff_send(to=to, from_=from_, **fields, **send_fields)
    logger.info("AI %s sent to %s with SID=%s", action, mask_phone(message.participant_number), message.twilio_sid)
    return message


def _sent_result(message: Message, generated: Generated, limit: int) -> dict[str, Any]:
    """What ai_send and ai_reply report of the message sent and its generation."""
    return {
        "body": message.content,
        "sid": message.twilio_sid,
        "status": message.status,
        "model": generated.model,
        "temperature": generated.temperature,
        "history_limit": limit,
    }


def ai_send(
    *,
    participant: str | None = None,
    latest: str | None = None,
    history_limit: int = HISTORY_LIMIT_DEFAULT,
    api_key: str | None = None,
    use_messaging_service: bool | None = None,
    sender_id: int | None = None,
) -> dict[str, Any]:
    """T18 and `manage.py ai-send`: generate a message for a thread and send it now. A Twilio failure
    keeps a `failed` row with the generated text (staff_send) and raises BadGatewayError."""
    config = _llm_config(api_key)
    address, number = _participant(participant)
    if not twilio_configured():  # refuse before paying for a completion that cannot be sent
        raise TwilioNotConfigured()
    limit = _limit(history_limit)
    latest = (latest or "").strip() or None
    answered = _answered(number, latest) if latest else None
    history = participant_history(number=number, limit=limit, exclude=answered)
    generated = _generate(config=config, history=history, latest=latest, action="send")
    message = _send_generated(
        to=on_channel(number, channel_of(address)),
        generated=generated,
        sender_id=sender_id,
        action="message",
        use_messaging_service=use_messaging_service,
    )
    return {
        "to": address,
        "to_normalized": number,
        **_sent_result(message, generated, limit),
        "origin_number": message.from_number,
    }


def ai_reply(
    *,
    inbound_from: str | None,
    inbound_to: str | None,
    latest: str | None = None,
    api_key: str | None = None,
    history_limit: int = HISTORY_LIMIT_DEFAULT,
    sender_id: int | None = None,
) -> dict[str, Any]:
    """T19: answer a participant from the number they wrote to (`inbound_to` back to `inbound_from`)."""
    participant, origin = (inbound_from or "").strip(), (inbound_to or "").strip()
    if not participant or not origin:
        raise ApplicationError(REPLY_FIELDS_REQUIRED)
    number = target_normalize(participant)
    if not number:
        raise ApplicationError(INBOUND_FROM_INVALID)
    config = _llm_config(api_key)
    if not twilio_configured():
        raise TwilioNotConfigured()
    to = on_channel(number, channel_of(participant))
    limit = _limit(history_limit)
    latest = (latest or "").strip() or None
    answered = _answered(number, latest) if latest else None
    history = participant_history(number=number, limit=limit, exclude=answered)
    generated = _generate(config=config, history=history, latest=latest, action="reply")
    message = _send_generated(to=to, generated=generated, sender_id=sender_id, action="reply", from_=origin)
    return {"to": to, "from": message.from_number or origin, **_sent_result(message, generated, limit)}
