"""The handoff inbox: the conversations waiting for staff, and a user's AI thread answered by staff."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import ApplicationError
from core.panel import add_validation_errors
from inbox.channels import channel_label
from messaging.enums import ConversationKind, ConversationMode, ModeReason
from messaging.models import Conversation
from messaging.selectors.conversations import user_names
from messaging.selectors.handoff import conversation_get, conversation_thread, handoff_conversation_list
from messaging.services.conversations import conversation_mode_set
from messaging.services.messages import staff_message_send
from twilio_channel.forms import (
    StaffAnswerForm,
)
from twilio_channel.panel_views.access import staff_required
from twilio_channel.panel_views.shared import (
    THREAD_LIMIT,
    conversation_channel,
    form_refusal,
    mode_notice,
    phone_participant,
    posted_mode,
    render_tab,
)

HANDOFF_LIMIT = 100


def _handoff_context() -> dict:
    rows = []
    for summary in handoff_conversation_list(limit=HANDOFF_LIMIT):
        conversation = summary.conversation
        if conversation.kind == ConversationKind.PHONE:
            who = phone_participant(conversation)
            url = reverse("staff:chat", args=[who])
            channel = channel_label(conversation_channel(conversation))
        else:
            who = conversation.user.get_username() if conversation.user else conversation.key
            url = reverse("staff:handoff-conversation", args=[conversation.pk])
            channel = _("Web (AI assistant)")
        rows.append(
            {
                "summary": summary,
                "who": who,
                "url": url,
                "is_phone": conversation.kind == ConversationKind.PHONE,
                "channel": channel,
            }
        )
    return {"handoff_rows": rows}


def handoff_page(request: HttpRequest, *, status: int = 200) -> HttpResponse:
    return render_tab(request, tab="handoff", status=status, context=_handoff_context())


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
            status = form_refusal(form, exc)
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
    mode = posted_mode(request)
    conversation_mode_set(
        conversation=conversation, mode=mode, reason=ModeReason.STAFF, source=f"staff {request.user.pk} in the panel"
    )
    mode_notice(request, mode)
    return redirect("staff:handoff-conversation", conversation_id=conversation.pk)
