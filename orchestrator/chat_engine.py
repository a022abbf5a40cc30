"""The rule-based chat engine: the answer when no LLM is configured,
and the Twilio channel's reply when both AI and auto-reply are off. English texts, translatable."""

from django.conf import settings
from django.utils.translation import gettext as _

ECHO, KEYWORDS, OFF = "echo", "keywords", "off"
# Names the settings that turn the AI on (orchestrator.llm.LLMSettings.configured).
NOT_CONFIGURED_NOTE = "(AI is not configured on this server: set LITELLM_API_KEY or LITELLM_BASEURL.)"


def chat_mode() -> str:
    mode = (settings.CHAT_MODE or ECHO).strip().lower()
    return mode if mode in (ECHO, KEYWORDS, OFF) else ECHO  # unknown values act as echo


def chat_engine_reply(body: str, *, mode: str | None = None) -> str | None:
    """The engine's reply to `body`, or None when the engine is `off` (no reply at all)."""
    mode = chat_mode() if mode is None else mode
    if mode == OFF:
        return None
    text = (body or "").strip()
    if mode == KEYWORDS:
        keyword = text.lower()
        # Over SMS and WhatsApp the channel handles STOP and START before the engine is asked (an
        # opt-out, then an opt-in), so these texts say what those words really do.
        if keyword == "help":
            return _("Commands: HELP, START, STOP. Send STOP to stop getting our messages, START to get them again.")
        if keyword == "start":
            return _("Welcome! You will get our messages. Send STOP at any time to stop them.")
        if keyword == "stop":
            return _("To stop getting our messages, send STOP by SMS or WhatsApp: you will get none after that.")
        return _("I don't understand this command yet. Type HELP to see the available options.")
    if not text:
        return _("Received your message.")
    return f"{_('Echo:')} {body}"


def not_configured_reply(body: str) -> str:
    """What the assistant says when no LLM is configured: the engine's reply, then
    the note on its own line. With the engine off, only the note, so a chat never hangs unanswered."""
    reply = chat_engine_reply(body)
    note = _(NOT_CONFIGURED_NOTE)
    return f"{reply}\n{note}" if reply is not None else note
