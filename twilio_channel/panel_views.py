"""The staff panel over the Twilio channel (CONTRACT §5.1, §8.1, §8.3–8.5): the dashboard at `/`
with its tabs (messages, auto-reply, AI, handoff inbox, phone simulator), the chat view `/chat/<participant>` and
the handoff pages. Staff only. Each view parses a form, calls the same service or selector as the
staff API (never the API over HTTP), and renders; a refusal is shown in words on the page."""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.api.errors import status_code_for
from core.exceptions import ApplicationError
from core.panel import add_validation_errors, error_text
from messaging.enums import ConversationKind, ConversationMode, Direction
from messaging.models import Conversation, Message
from messaging.selectors.conversations import user_names
from messaging.selectors.handoff import conversation_get, conversation_thread, handoff_conversation_list
from messaging.services.conversations import conversation_mode_set
from messaging.services.messages import staff_message_send
from orchestrator.models import AIConfig
from orchestrator.selectors import ai_config_get
from twilio_channel import selectors
from twilio_channel.addresses import WHATSAPP_PREFIX
from twilio_channel.forms import (
    AIConfigForm,
    AITestForm,
    AutoReplyForm,
    ReplyForm,
    SendForm,
    SimulatorForm,
    StaffAnswerForm,
)
from twilio_channel.models import AutoReplyConfig
from twilio_channel.services import ai_helpers
from twilio_channel.services.modes import UNCHANGED, ai_config_set, auto_reply_config_set, reply_mode
from twilio_channel.services.remote import sync_request
from twilio_channel.services.simulator import (
    simulator_inbound,
    simulator_participant,
    simulator_received_texts,
    simulator_replies_are_real,
)
from twilio_channel.services.staff_sends import outbound_retry, staff_send, staff_send_queued

TABS = ["messages", "auto-reply", "ai", "handoff", "simulator"]
# The configuration tabs and the simulator: superusers only; an agent sees the messages and the handoff inbox.
SUPERUSER_TABS = {"auto-reply", "ai", "simulator"}
MESSAGES_LIMIT = 50  # seed 2: "last 50 entries"
MESSAGES_REFRESH_S = 15  # the dashboard's table and stats
THREAD_LIMIT = 400  # seed 2's chat view asked for 400
THREAD_REFRESH_S = 12  # the chat view
SIMULATOR_REFRESH_S = 2  # the simulator's phone: replies come within seconds
HANDOFF_LIMIT = 100
AI_HISTORY_LIMIT = 50
NO_CONVERSATION = gettext_noop("No conversation with this participant.")

# Seed 2's colour map (CONTRACT §5.1); a status missing here shows as secondary.
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


FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def staff_required(view):
    """Anonymous visitors go to the login page; a signed-in user who is not staff gets a 403. A POST
    that is not a form (JSON, say) is a 400: Django would read it as an empty form, and an absent
    checkbox means "off" (issue 23: a malformed request must never switch something off)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise PermissionDenied
        if request.method == "POST" and request.content_type not in FORM_CONTENT_TYPES:
            return HttpResponse(_("This page takes form submissions only."), status=400, content_type="text/plain")
        return view(request, *args, **kwargs)

    return wrapper


def superuser_required(view):
    """The configuration forms: like staff_required, and an agent (staff, not superuser) gets a 403."""

    @wraps(view)
    @staff_required
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_superuser:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


# --- shared pieces ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageRow:
    """A message as the table and the thread show it."""

    message: Message
    counterparty: str  # the raw address of the other side: `whatsapp:` kept, so it opens its thread
    badge: str

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


def message_row(message: Message) -> MessageRow:
    raw = message.from_number if message.direction == Direction.INBOUND else message.to_number
    return MessageRow(
        message=message,
        counterparty=raw or message.participant_number or "",
        badge=STATUS_BADGES.get(message.status or "", "secondary"),
    )


def _domain_error(form, exc: ApplicationError) -> int:
    """Put a service's refusal on `form` (on its field when the service names one) and return the
    status code the API would answer with."""
    field = exc.extra.get("field")
    form.add_error(field if field in form.fields else None, error_text(exc))
    return status_code_for(exc)


def _direction(request: HttpRequest) -> str:
    direction = request.GET.get("direction", "")
    return direction if direction in (Direction.INBOUND, Direction.OUTBOUND) else ""


def _messages_context(direction: str) -> dict:
    stats = selectors.message_stats()
    rows = selectors.message_list(limit=MESSAGES_LIMIT, direction=direction or None)
    return {
        "direction": direction,
        "stats": stats,
        "rows": [message_row(message) for message in rows],
        "refresh_s": MESSAGES_REFRESH_S,
    }


def _auto_reply_context(form: AutoReplyForm | None = None) -> dict:
    config = AutoReplyConfig.objects.filter(pk=1).first() or AutoReplyConfig()
    return {
        "auto_reply": config,
        "auto_reply_form": form or AutoReplyForm(initial={"enabled": config.enabled, "message": config.message}),
    }


def _ai_context(form: AIConfigForm | None = None, test_form: AITestForm | None = None, **extra) -> dict:
    config = ai_config_get() or AIConfig()
    initial = {
        "enabled": config.enabled,
        "target_number": config.target_number,
        "system_prompt": config.system_prompt,
        "model": config.model,
        "temperature": config.temperature,
    }
    return {
        "ai": config,
        "ai_form": form or AIConfigForm(initial=initial, server_model=settings.LITELLM_MODEL),
        "ai_test_form": test_form or AITestForm(),
        "ai_history": ai_helpers.ai_conversation(limit=AI_HISTORY_LIMIT),
        **extra,
    }


def phone_participant(conversation: Conversation) -> str:
    """The chat view's address of a phone conversation (`whatsapp:+48…` or `+48…`)."""
    if conversation.key.startswith(WHATSAPP_PREFIX):
        return conversation.key
    return conversation.participant_number or conversation.key.removeprefix("phone:")


def _handoff_context() -> dict:
    rows = []
    for summary in handoff_conversation_list(limit=HANDOFF_LIMIT):
        conversation = summary.conversation
        if conversation.kind == ConversationKind.PHONE:
            who = phone_participant(conversation)
            url = reverse("staff:chat", args=[who])
        else:
            who = conversation.user.get_username() if conversation.user else conversation.key
            url = reverse("staff:handoff-conversation", args=[conversation.pk])
        rows.append(
            {"summary": summary, "who": who, "url": url, "is_phone": conversation.kind == ConversationKind.PHONE}
        )
    return {"handoff_rows": rows}


def _dashboard(request: HttpRequest, *, tab: str, status: int = 200, **context) -> HttpResponse:
    base = {
        "tab": tab,
        "app_env": settings.APP_ENV.upper(),
        "no_sender": not (settings.TWILIO_DEFAULT_FROM or settings.TWILIO_MESSAGING_SERVICE_SID),
    }
    if tab == "messages":
        sync_request(limit=MESSAGES_LIMIT)  # throttled, in a task, as the API's list and stats do
        base.update(_messages_context(_direction(request)))
        base["send_form"] = context.pop("send_form", None) or SendForm()
    elif tab == "auto-reply":
        base.update(_auto_reply_context(context.pop("auto_reply_form", None)))
    elif tab == "ai":
        base.update(_ai_context(context.pop("ai_form", None), context.pop("ai_test_form", None)))
    elif tab == "simulator":
        base.update(_simulator_context(request, context.pop("simulator_form", None)))
    else:
        base.update(_handoff_context())
    return render(request, "twilio_channel/dashboard.html", {**base, **context}, status=status)


def _to_tab(tab: str, **query: str) -> HttpResponse:
    return redirect(f"{reverse('root')}?{urlencode({'tab': tab, **query})}")


# --- the dashboard ---------------------------------------------------------------------------


@staff_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """`/` for staff (core.views.root calls it through STAFF_HOME_VIEW); `?tab=` picks the tab."""
    tab = request.GET.get("tab", "messages")
    tab = tab if tab in TABS else "messages"
    if tab in SUPERUSER_TABS and not request.user.is_superuser:
        raise PermissionDenied
    return _dashboard(request, tab=tab)


@staff_required
@require_GET
def messages_fragment(request: HttpRequest) -> HttpResponse:
    """The table (and, out of band, the stats cards) that the dashboard polls."""
    sync_request(limit=MESSAGES_LIMIT)
    return render(request, "twilio_channel/_messages.html", {**_messages_context(_direction(request)), "oob": True})


def _sent_notice(request: HttpRequest, message: Message) -> None:
    if staff_send_queued(message):
        messages.warning(request, _("Twilio is busy: the message is queued and will be sent shortly."))
        return
    messages.success(
        request, _("Sent. SID: %(sid)s, status: %(status)s.") % {"sid": message.twilio_sid, "status": message.status}
    )


@staff_required
@require_POST
def send(request: HttpRequest) -> HttpResponse:
    form = SendForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            message = staff_send(
                to=form.cleaned_data["to"].strip(), body=form.cleaned_data["body"], sender_id=request.user.pk
            )
        except ApplicationError as exc:
            status = _domain_error(form, exc)
        except ValidationError as exc:
            add_validation_errors(form, exc, fields={"content": "body", "to_number": "to"})
        else:
            _sent_notice(request, message)
            return _to_tab("messages")
    return _dashboard(request, tab="messages", status=status, send_form=form)


@superuser_required
@require_POST
def auto_reply_save(request: HttpRequest) -> HttpResponse:
    form = AutoReplyForm(request.POST)
    status = 400
    if form.is_valid():
        enabled = form.cleaned_data["enabled"]
        ai_was_on = reply_mode() == "ai"
        try:
            auto_reply_config_set(enabled=enabled, message=form.cleaned_data["message"])
        except ApplicationError as exc:
            exc.extra.setdefault("field", "message")
            status = _domain_error(form, exc)
        else:
            messages.success(request, _("Auto-reply settings saved."))
            if enabled and ai_was_on:
                messages.warning(request, _("AI auto-reply was turned off: only one of them can answer."))
            return _to_tab("auto-reply")
    return _dashboard(request, tab="auto-reply", status=status, auto_reply_form=form)


@superuser_required
@require_POST
def ai_config_save(request: HttpRequest) -> HttpResponse:
    form = AIConfigForm(request.POST, server_model=settings.LITELLM_MODEL)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        # An empty key field keeps the saved key; only the box removes it.
        api_key = "" if data["clear_api_key"] else data["api_key"] or UNCHANGED
        auto_reply_was_on = reply_mode() == "auto_reply"
        try:
            ai_config_set(
                enabled=data["enabled"],
                target_number=data["target_number"],
                system_prompt=data["system_prompt"],
                model=data["model"],
                temperature=data["temperature"],
                api_key=api_key,
            )
        except ApplicationError as exc:
            status = _domain_error(form, exc)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("AI settings saved."))
            if data["enabled"] and auto_reply_was_on:
                messages.warning(request, _("Automatic replies were turned off: only one of them can answer."))
            return _to_tab("ai")
    return _dashboard(request, tab="ai", status=status, ai_form=form)


@superuser_required
@require_POST
def ai_test_run(request: HttpRequest) -> HttpResponse:
    """Test connection (T4): what the model would answer; nothing is sent or stored."""
    form = AITestForm(request.POST)
    status, result = 400, None
    if form.is_valid():
        try:
            result = ai_helpers.ai_test(
                participant=form.cleaned_data["participant"] or None,
                message=form.cleaned_data["message"] or None,
                api_key=form.cleaned_data["api_key"] or None,
                use_latest_message=True,
                participant_required=False,  # a connection test needs no thread
            )
        except ai_helpers.NoAIKey as exc:
            # The API's text names the API's fields; the page says it with the form's own labels.
            labels = {"test_key": form.fields["api_key"].label, "key": AIConfigForm.base_fields["api_key"].label}
            text = _("No API key: type one in “%(test_key)s” or save one in “%(key)s” above.") % labels
            form.add_error("api_key", text)
            status = status_code_for(exc)
        except ai_helpers.NoParticipant as exc:
            form.add_error(
                "participant",
                _("“%(label)s” is not a phone number: leave it empty or type one like +48123456789.")
                % {"label": form.fields["participant"].label},
            )
            status = status_code_for(exc)
        except ApplicationError as exc:
            status = _domain_error(form, exc)
        else:
            status = 200
    return _dashboard(request, tab="ai", status=status, ai_test_form=form, ai_test_result=result)


@staff_required
@require_POST
def retry(request: HttpRequest, message_id: int) -> HttpResponse:
    """Resend a failed message (§9.3 point 5) and go back to its thread, where the new row shows."""
    failed = selectors.message_get(message_id=message_id)
    if failed is None:
        raise Http404
    try:
        new = outbound_retry(message_id=message_id)
    except ApplicationError as exc:
        messages.error(request, error_text(exc))
    else:
        # Read again: the send may have run already, and the page shows what really happened.
        current = selectors.message_get(message_id=new.pk) or new
        text = _("Retried as message #%(id)s, status: %(status)s.") % {"id": current.pk, "status": current.status}
        if current.twilio_sid:
            text = f"{text} " + _("SID: %(sid)s") % {"sid": current.twilio_sid}
        messages.success(request, text)
    return redirect("staff:chat", participant=message_row(failed).counterparty)


# --- the chat view ---------------------------------------------------------------------------


def _templates() -> list[tuple[str, str]]:
    sid = settings.WHATSAPP_FALLBACK_CONTENT_SID
    return [(sid, _("Fallback template (%(sid)s)") % {"sid": sid})] if sid else []


def _thread_context(participant: str) -> dict:
    thread = selectors.phone_thread_get(participant=participant, limit=THREAD_LIMIT)
    now = timezone.now()
    expires = thread.window_expires_at
    last = thread.messages[-1] if thread.messages else None
    return {
        "participant": participant,
        "thread": thread,
        "number": thread.number or participant.removeprefix(WHATSAPP_PREFIX),
        "is_whatsapp": thread.channel == "whatsapp",
        "window_open": expires is not None and now < expires,
        "window_expires_at": expires,
        "last_activity": last.created_at if last else None,
        "rows": [message_row(message) for message in thread.messages],
        "human_mode": thread.mode == ConversationMode.HUMAN,
        "has_conversation": selectors.phone_thread_conversation(participant=participant) is not None,
        "refresh_s": THREAD_REFRESH_S,
    }


def _participant(raw: str) -> str:
    participant = raw.strip()
    if not participant:
        raise Http404
    return participant


@staff_required
@require_GET
def chat(request: HttpRequest, participant: str) -> HttpResponse:
    participant = _participant(participant)
    sync_request()  # throttled, in a task, as the API's thread does
    context = {**_thread_context(participant), "form": ReplyForm(templates=_templates())}
    return render(request, "twilio_channel/chat.html", context)


@staff_required
@require_GET
def chat_messages(request: HttpRequest, participant: str) -> HttpResponse:
    """The thread alone (and, out of band, the window and mode): what the chat view polls."""
    context = {**_thread_context(_participant(participant)), "oob": True}
    return render(request, "twilio_channel/_thread.html", context)


@staff_required
@require_POST
def chat_reply(request: HttpRequest, participant: str) -> HttpResponse:
    participant = _participant(participant)
    form = ReplyForm(request.POST, templates=_templates())
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            # The thread's own address: a WhatsApp thread is answered over WhatsApp.
            message = staff_send(
                to=participant,
                body=data["body"],
                content_sid=data["content_sid"],
                content_variables=data["content_variables"],
                sender_id=request.user.pk,
            )
        except ApplicationError as exc:
            status = _domain_error(form, exc)
        except ValidationError as exc:
            add_validation_errors(form, exc, fields={"content": "body"})
        else:
            _sent_notice(request, message)
            return redirect("staff:chat", participant=participant)
    return render(request, "twilio_channel/chat.html", {**_thread_context(participant), "form": form}, status=status)


def _mode_from(request: HttpRequest) -> str:
    mode = request.POST.get("mode", "")
    if mode not in ConversationMode.values:
        raise Http404
    return mode


def _mode_message(request: HttpRequest, mode: str) -> None:
    if mode == ConversationMode.HUMAN:
        messages.success(request, _("You took this conversation over: the AI stays silent."))
    else:
        messages.success(request, _("The AI answers this conversation again."))


@staff_required
@require_POST
def chat_mode(request: HttpRequest, participant: str) -> HttpResponse:
    participant = _participant(participant)
    mode = _mode_from(request)
    conversation = selectors.phone_thread_conversation(participant=participant)
    if conversation is None:
        messages.error(request, _(NO_CONVERSATION))
    else:
        conversation_mode_set(conversation=conversation, mode=mode, source=f"staff {request.user.pk} in the panel")
        _mode_message(request, mode)
    return redirect("staff:chat", participant=participant)


# --- the handoff inbox: a user's AI thread answered by staff ----------------------------------


def _web_conversation(conversation_id: int) -> Conversation:
    conversation = conversation_get(conversation_id=conversation_id)
    if conversation is None:
        raise Http404
    return conversation


def _web_thread_context(conversation: Conversation, form: StaffAnswerForm) -> dict:
    rows = conversation_thread(conversation=conversation, limit=THREAD_LIMIT)
    names = user_names(user_ids=[row.sender_id for row in rows])
    entries = []
    for row in rows:
        if row.sender_id == settings.AI_BOT_USER_ID:
            label = _("AI Assistant")
        else:
            label = names.get(row.sender_id or 0) or _("Unknown")
        entries.append({"message": row, "label": label, "from_user": row.sender_id == conversation.user_id})
    return {
        "conversation": conversation,
        "owner": conversation.user.get_username() if conversation.user else conversation.key,
        "entries": entries,
        "human_mode": conversation.mode == ConversationMode.HUMAN,
        "form": form,
    }


@staff_required
@require_GET
def handoff_conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _web_conversation(conversation_id)
    if conversation.kind == ConversationKind.PHONE:
        return redirect("staff:chat", participant=phone_participant(conversation))
    return render(
        request, "twilio_channel/handoff_conversation.html", _web_thread_context(conversation, StaffAnswerForm())
    )


@staff_required
@require_POST
def handoff_answer(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _web_conversation(conversation_id)
    form = StaffAnswerForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            staff_message_send(
                staff=request.user,  # type: ignore[arg-type]  # staff_required: a signed-in User
                conversation_id=conversation.pk,
                content=form.cleaned_data["content"],
            )
        except ApplicationError as exc:
            status = _domain_error(form, exc)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Your answer was sent."))
            return redirect("staff:handoff-conversation", conversation_id=conversation.pk)
    context = _web_thread_context(conversation, form)
    return render(request, "twilio_channel/handoff_conversation.html", context, status=status)


@staff_required
@require_POST
def handoff_mode(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _web_conversation(conversation_id)
    mode = _mode_from(request)
    conversation_mode_set(conversation=conversation, mode=mode, source=f"staff {request.user.pk} in the panel")
    _mode_message(request, mode)
    return redirect("staff:handoff-conversation", conversation_id=conversation.pk)


# --- the phone simulator (issue 28 point 2) ---------------------------------------------------


def _simulated_participant(number: str, channel: str) -> str | None:
    try:
        return simulator_participant(number=number, channel=channel)
    except ApplicationError:
        return None


@dataclass(frozen=True)
class SimulatorRow:
    row: MessageRow
    text: str  # as the phone got it


def _simulator_thread(number: str, channel: str) -> dict:
    participant = _simulated_participant(number, channel)
    rows = []
    if participant is not None:
        thread = selectors.phone_thread_get(participant=participant, limit=THREAD_LIMIT)
        received = simulator_received_texts(participant=participant, limit=THREAD_LIMIT)
        rows = [
            SimulatorRow(row=message_row(message), text=received.get(message.twilio_sid or "", message.content))
            for message in thread.messages
        ]
    return {
        "participant": participant,
        "rows": rows,
        "thread_query": urlencode({"number": number, "channel": channel}),
        "refresh_s": SIMULATOR_REFRESH_S,
    }


def _simulator_context(request: HttpRequest, form: SimulatorForm | None = None) -> dict:
    if form is None:
        channel = request.GET.get("channel", "sms")
        form = SimulatorForm(initial={"number": request.GET.get("number", ""), "channel": channel})
    number = str(form["number"].value() or "")
    channel = str(form["channel"].value() or "sms")
    return {
        "simulator_form": form,
        "replies_real": simulator_replies_are_real(),
        "our_number": settings.TWILIO_DEFAULT_FROM,
        **_simulator_thread(number, channel),
    }


@superuser_required
@require_POST
def simulator_send(request: HttpRequest) -> HttpResponse:
    """A message as the contact would send it, through the webhook's pipeline; back to the phone."""
    form = SimulatorForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            simulator_inbound(
                number=data["number"], channel=data["channel"], body=data["body"], send_for_real=data["send_for_real"]
            )
        except ApplicationError as exc:
            status = _domain_error(form, exc)
        else:
            return _to_tab("simulator", number=data["number"].strip(), channel=data["channel"])
    return _dashboard(request, tab="simulator", status=status, simulator_form=form)


@superuser_required
@require_GET
def simulator_thread(request: HttpRequest) -> HttpResponse:
    """The simulated phone's screen alone: what the simulator polls."""
    context = _simulator_thread(request.GET.get("number", ""), request.GET.get("channel", "sms"))
    return render(request, "twilio_channel/_simulator_thread.html", context)
