"""What the panel's pages share: the message rows and their badges, the services' refusals on a form, the
conversation mode switch, and the dashboard's frame around each tab."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext_lazy

from core.api.errors import status_code_for
from core.exceptions import ApplicationError
from core.panel import error_text
from inbox.channels import channel_label
from messaging.enums import ConversationMode, Direction
from messaging.keys import CHANNEL_KEY_PREFIXES
from messaging.models import Conversation, Message
from twilio_channel.selectors import TWILIO_CHANNELS
from twilio_channel.services.staff_sends import staff_send_queued

THREAD_LIMIT = 400  # the newest rows a thread shows
SMS_KEY_PREFIX = CHANNEL_KEY_PREFIXES["sms"]

# Bootstrap colours: waiting yellow, sent blue, arrived green, failed red; a status missing here shows as secondary.
STATUS_BADGES = {
    "accepted": "warning",
    "scheduled": "warning",
    "queued": "warning",
    "sending": "warning",
    "sent": "info",
    "delivered": "success",
    "received": "success",
    "read": "success",
    "failed": "danger",
    "undelivered": "danger",
    "canceled": "danger",
    "generated": "secondary",
}
# Twilio's status words on the badges, in the page's language (unknown ones as Twilio sent them).
STATUS_LABELS = {
    "accepted": pgettext_lazy("message status", "accepted"),
    "scheduled": pgettext_lazy("message status", "scheduled"),
    "queued": pgettext_lazy("message status", "queued"),
    "sending": pgettext_lazy("message status", "sending"),
    "sent": pgettext_lazy("message status", "sent"),
    "delivered": pgettext_lazy("message status", "delivered"),
    "receiving": pgettext_lazy("message status", "receiving"),
    "received": pgettext_lazy("message status", "received"),
    "read": pgettext_lazy("message status", "read"),
    "failed": pgettext_lazy("message status", "failed"),
    "undelivered": pgettext_lazy("message status", "undelivered"),
    "canceled": pgettext_lazy("message status", "canceled"),
    "generated": pgettext_lazy("message status", "generated"),
}

# The services' English refusals shown on these pages, for the catalog (core.panel.error_text).
SERVICE_TEXTS = [
    gettext_noop("Recipient has opted out."),
    gettext_noop("WhatsApp 24-hour window closed; provide content_sid."),
    gettext_noop("Twilio is not configured."),
    gettext_noop("Twilio send failed"),
    gettext_noop("Too many messages to this recipient. Try again later."),
    gettext_noop("Field 'to' must be E.164 formatted (e.g. +48123456789)"),
    gettext_noop("Provide at least one of: 'body', 'content_sid', or 'media_urls'."),
    gettext_noop("No TWILIO_DEFAULT_FROM or messaging service is configured to send from."),
    gettext_noop("Message not found."),
    gettext_noop("Only failed outbound messages can be retried."),
    gettext_noop("Auto-reply text is required when the feature is enabled."),
    gettext_noop("Auto-reply text cannot exceed 640 characters."),
    gettext_noop("Temperature must be a number."),
    gettext_noop("Temperature must be in the range 0-2."),
    gettext_noop("Provide the conversation partner's number."),
    gettext_noop("Provide an API key to enable the AI integration."),
    gettext_noop("The model must be a model name such as gpt-4o or anthropic/claude-3-5-sonnet-latest, not a URL."),
    gettext_noop("This model provider is not allowed on this server (AI_MODEL_PROVIDERS)."),
    gettext_noop("The model name cannot exceed 100 characters."),
    gettext_noop("No OpenAI key. Paste it in the form or save it in the configuration."),
    gettext_noop("Provide the conversation partner's number in the AI configuration or in the 'participant' field."),
    gettext_noop("OpenAI returned no reply content."),
    gettext_noop("Only a user's conversation with the AI assistant can be answered here."),
    gettext_noop("Conversation not found."),
    gettext_noop("Enter the number to write from."),
    gettext_noop("Phone number must be in E.164 format, e.g. +48123456789"),
    gettext_noop("Phone number is not a possible number"),
    gettext_noop("Choose SMS or WhatsApp."),
    gettext_noop("The message cannot exceed 1600 characters."),
    gettext_noop("The simulator writes to TWILIO_DEFAULT_FROM: set it first."),
    gettext_noop("Twilio is live: the replies really go to this number. Confirm that you want that."),
]


@dataclass(frozen=True)
class MessageRow:
    """A message as the table and the thread show it."""

    message: Message
    counterparty: str  # the raw address of the other side: `whatsapp:` kept, so it opens its thread
    badge: str

    @property
    def channel_label(self) -> str:
        return channel_label(self.message.channel)

    @property
    def status_label(self) -> str:
        status = self.message.status or ""
        return str(STATUS_LABELS.get(status, status))

    @property
    def is_inbound(self) -> bool:
        return self.message.direction == Direction.INBOUND

    @property
    def can_retry(self) -> bool:
        return self.message.direction == Direction.OUTBOUND and self.message.status == "failed"


def participant_of(message: Message) -> str:
    """The chat view's name of a message's other side: its raw Twilio address (`whatsapp:` kept),
    or `<channel>:<address>` on another channel (twilio_channel.selectors.thread_address)."""
    if message.channel not in TWILIO_CHANNELS:
        return f"{message.channel}:{message.participant_number}" if message.participant_number else ""
    raw = message.from_number if message.direction == Direction.INBOUND else message.to_number
    return raw or message.participant_number or ""


def message_row(message: Message) -> MessageRow:
    return MessageRow(
        message=message,
        counterparty=participant_of(message),
        badge=STATUS_BADGES.get(message.status or "", "secondary"),
    )


def form_refusal(form, exc: ApplicationError) -> int:
    """Put a service's refusal on `form` (on its field when the service names one) and return the
    status code the API would answer with."""
    field = exc.extra.get("field")
    form.add_error(field if field in form.fields else None, error_text(exc))
    return status_code_for(exc)


def phone_participant(conversation: Conversation) -> str:
    """The chat view's address of a channel's conversation (`+48…` for SMS; else its key, which is
    `whatsapp:+48…`, `telegram:123…`)."""
    if not conversation.key.startswith(SMS_KEY_PREFIX):
        return conversation.key
    return conversation.participant_number or conversation.key.removeprefix(SMS_KEY_PREFIX)


def conversation_channel(conversation: Conversation) -> str:
    """The channel of a channel's conversation, from its key (`phone:` is SMS's)."""
    if conversation.key.startswith(SMS_KEY_PREFIX):
        return "sms"
    return conversation.key.partition(":")[0]


def posted_mode(request: HttpRequest) -> str:
    mode = request.POST.get("mode", "")
    if mode not in ConversationMode.values:
        raise Http404
    return mode


def mode_notice(request: HttpRequest, mode: str) -> None:
    if mode == ConversationMode.HUMAN:
        messages.success(request, _("You took this conversation over: the AI stays silent."))
    else:
        messages.success(request, _("The AI answers this conversation again."))


def sent_notice(request: HttpRequest, message: Message) -> None:
    """What a staff send says: queued while Twilio is busy, else its SID and status."""
    if staff_send_queued(message):
        messages.warning(request, _("Twilio is busy: the message is queued and will be sent shortly."))
        return
    messages.success(
        request, _("Sent. SID: %(sid)s, status: %(status)s.") % {"sid": message.twilio_sid, "status": message.status}
    )


def render_tab(request: HttpRequest, *, tab: str, context: dict, status: int = 200) -> HttpResponse:
    """The dashboard around one tab's context."""
    base = {
        "tab": tab,
        "app_env": settings.APP_ENV.upper(),
        "no_sender": not (settings.TWILIO_DEFAULT_FROM or settings.TWILIO_MESSAGING_SERVICE_SID),
    }
    return render(request, "twilio_channel/dashboard.html", {**base, **context}, status=status)


def redirect_to_tab(tab: str, **query: str) -> HttpResponse:
    return redirect(f"{reverse('root')}?{urlencode({'tab': tab, **query})}")
