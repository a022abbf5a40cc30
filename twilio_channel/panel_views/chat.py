"""The chat view `/chat/<participant>`: one phone thread, its reply form and its conversation mode."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import ApplicationError
from core.panel import add_validation_errors, error_text
from inbox.channels import channel_label
from inbox.services.replies import channel_send
from messaging.enums import ConversationMode, ModeReason
from messaging.services.conversations import conversation_mode_set
from twilio_channel import selectors
from twilio_channel.addresses import WHATSAPP_PREFIX
from twilio_channel.forms import (
    ReplyForm,
)
from twilio_channel.panel_views.access import staff_required
from twilio_channel.panel_views.shared import (
    THREAD_LIMIT,
    form_refusal,
    message_row,
    mode_notice,
    posted_mode,
    sent_notice,
)
from twilio_channel.services.remote import sync_request
from twilio_channel.services.staff_sends import staff_send

THREAD_REFRESH_S = 12  # the chat view
NO_CONVERSATION = gettext_noop("No conversation with this participant.")


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
        "is_twilio": thread.channel in selectors.TWILIO_CHANNELS,
        "channel_label": channel_label(thread.channel),
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
    channel, address = selectors.thread_address(participant)
    if form.is_valid() and channel not in selectors.TWILIO_CHANNELS:
        # Another channel's thread: answered over that channel, through the inbox's delivery.
        message = channel_send(
            channel=channel,
            address=address,
            text=form.cleaned_data["body"],
            conversation=selectors.phone_thread_conversation(participant=participant),
            sender_id=request.user.pk,
        )
        if message.status != "failed":
            messages.success(request, _("Queued to be sent over %(channel)s.") % {"channel": channel_label(channel)})
            return redirect("staff:chat", participant=participant)
        form.add_error(None, error_text(ApplicationError(message.error or "")))
        status = 409
    elif form.is_valid():
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
            status = form_refusal(form, exc)
        except ValidationError as exc:
            add_validation_errors(form, exc, fields={"content": "body"})
        else:
            sent_notice(request, message)
            return redirect("staff:chat", participant=participant)
    return render(request, "twilio_channel/chat.html", {**_thread_context(participant), "form": form}, status=status)


@staff_required
@require_POST
def chat_mode(request: HttpRequest, participant: str) -> HttpResponse:
    participant = _participant(participant)
    mode = posted_mode(request)
    conversation = selectors.phone_thread_conversation(participant=participant)
    if conversation is None:
        messages.error(request, _(NO_CONVERSATION))
    else:
        conversation_mode_set(
            conversation=conversation,
            mode=mode,
            reason=ModeReason.STAFF,
            source=f"staff {request.user.pk} in the panel",
        )
        mode_notice(request, mode)
    return redirect("staff:chat", participant=participant)
