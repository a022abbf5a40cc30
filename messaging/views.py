"""The panel's conversation pages (`/app/conversations/...`): the user's
threads, one thread, the new-message form with its recipient picker. Each view parses the form,
calls one service or selector (access checks included, `messaging.access`), and renders; a thread
the user is not a member of is a 404, as a missing one is."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import user_search
from core.exceptions import ApplicationError, ForbiddenError, NotFoundError
from core.lists import Window
from core.panel import add_validation_errors, error_text, is_htmx
from messaging import access
from messaging.enums import ConversationMode
from messaging.forms import MessageEditForm, MessageForm, NewMessageForm
from messaging.models import Conversation
from messaging.selectors import lists as message_lists
from messaging.selectors.conversations import (
    ai_reply_awaited,
    conversation_counterpart_id,
    conversation_get_for_member,
    user_names,
)
from messaging.selectors.keys import ai_conversation_key
from messaging.services import messages as message_services
from messaging.services.conversations import ai_conversation_mode_set, ai_history_clear, conversation_mark_read
from messaging.services.messages import message_send, message_update, messages_mark_all_read

THREAD_WINDOW = Window(skip=0, limit=200)  # the newest 200 messages of a thread, shown oldest first

# The services' English texts that these pages show, for the catalog (core.panel.error_text).
SERVICE_TEXTS = [
    gettext_noop("Recipient not found"),
    gettext_noop("Recipient is not part of this conversation"),
    gettext_noop("Not a member of this conversation"),
    gettext_noop("Only the sender can update this message"),
    gettext_noop("This conversation id is reserved for the server's SMS and WhatsApp threads."),
]


def _ai_key(request: HttpRequest) -> str:
    return ai_conversation_key(user_id=request.user.pk)


@login_required
@require_GET
def conversation_list(request: HttpRequest) -> HttpResponse:
    rows = message_lists.conversation_list(
        user_id=request.user.pk, window=Window(skip=0, limit=settings.LIST_LIMIT_MAX)
    )
    # The assistant is pinned first, and there even before the user's first message to it. Found by
    # its key: during a handoff the newest message may be an agent's, not the bot's.
    ai_key = _ai_key(request)
    ai = next((row for row in rows if row.conversation_id == ai_key), None)
    context = {
        "ai_key": ai_key,
        "ai": ai,
        "conversations": [row for row in rows if row is not ai],
        "unread_total": sum(row.unread_count for row in rows),
    }
    return render(request, "messaging/conversation_list.html", context)


def _thread_context(request: HttpRequest, conversation_key: str) -> dict:
    """What a thread page and its polled fragment show; Http404 for a thread the user is not in."""
    user = request.user
    conversation = conversation_get_for_member(user_id=user.pk, conversation_key=conversation_key)
    is_ai = conversation_key == _ai_key(request)
    if conversation is None and not is_ai:
        raise Http404
    # Asked before the rows are read: the reply and the end of the wait commit together, so a wait
    # seen over is a reply the rows hold. Asked after, a reply committed between the two reads
    # would show neither the reply nor the typing that polls for it.
    awaiting_reply = is_ai and ai_reply_awaited(user_id=user.pk, conversation_key=conversation_key)
    rows = message_lists.conversation_messages(user_id=user.pk, conversation_key=conversation_key, window=THREAD_WINDOW)
    # Shown as they were, then marked read: the user is looking at them now.
    if rows:
        conversation_mark_read(user=user, conversation_key=conversation_key, up_to_id=max(m.pk for m in rows))
    names = user_names(user_ids=[m.sender_id for m in rows])
    bot = settings.AI_BOT_USER_ID
    for message in rows:
        message.is_mine = message.sender_id == user.pk
        if message.is_mine:
            message.sender_label = _("You")
        elif message.sender_id == bot:
            message.sender_label = _("AI Assistant")
        else:
            message.sender_label = names.get(message.sender_id) or message.participant_number or _("Unknown")
    counterpart = (
        bot if conversation is None else conversation_counterpart_id(conversation=conversation, user_id=user.pk)
    )
    if is_ai:
        title = _("AI Assistant")
    elif counterpart is not None and counterpart > 0:
        title = user_names(user_ids=[counterpart]).get(counterpart) or _("Unknown")
    else:
        title = (conversation.participant_number if conversation else None) or conversation_key
    return {
        "conversation_key": conversation_key,
        "conversation": conversation,
        "is_ai": is_ai,
        "human_mode": conversation is not None and conversation.mode == ConversationMode.HUMAN,
        "can_send": counterpart is not None,
        "title": title,
        "thread_messages": rows,
        "awaiting_reply": awaiting_reply,
    }


@login_required
@require_GET
def conversation_detail(request: HttpRequest, conversation_key: str) -> HttpResponse:
    context = _thread_context(request, conversation_key)
    context["form"] = MessageForm()
    return render(request, "messaging/conversation_detail.html", context)


@login_required
@require_GET
def conversation_messages(request: HttpRequest, conversation_key: str) -> HttpResponse:
    """The thread's messages alone: htmx polls this while the assistant is typing."""
    return render(request, "messaging/_thread_messages.html", _thread_context(request, conversation_key))


@login_required
@require_POST
def conversation_send(request: HttpRequest, conversation_key: str) -> HttpResponse:
    user = request.user
    context = _thread_context(request, conversation_key)
    form = MessageForm(request.POST)
    if form.is_valid() and context["can_send"]:
        try:
            if context["is_ai"]:
                # The derived key: the service creates the assistant's thread on the first message.
                message_send(sender=user, recipient_id=settings.AI_BOT_USER_ID, content=form.cleaned_data["content"])
            else:
                message_send(
                    sender=user,
                    recipient_id=conversation_counterpart_id(conversation=context["conversation"], user_id=user.pk),
                    content=form.cleaned_data["content"],
                    conversation_key=conversation_key,
                    allow_bot=False,
                )
        except ValidationError as exc:
            add_validation_errors(form, exc)  # a reserved key (conversation_id) on the whole form
        except ApplicationError as exc:
            form.add_error(None, error_text(exc))
        else:
            if not is_htmx(request):
                return redirect("panel:conversation", conversation_key=conversation_key)
            fragment = render(request, "messaging/_thread_messages.html", _thread_context(request, conversation_key))
            fragment["HX-Trigger"] = "message-sent"  # the composer clears itself on this event
            return fragment
    context["form"] = form
    template = "messaging/_composer_errors.html" if is_htmx(request) else "messaging/conversation_detail.html"
    response = render(request, template, context, status=400)
    if is_htmx(request):
        # The errors go next to the composer, not over the thread.
        response["HX-Retarget"] = "#composer-errors"
        response["HX-Reswap"] = "innerHTML"
    return response


def _back_to_thread(conversation: Conversation | None) -> HttpResponse:
    if conversation is None:
        return redirect("panel:conversations")
    return redirect("panel:conversation", conversation_key=conversation.key)


@login_required
@require_POST
def message_edit(request: HttpRequest, message_id: int) -> HttpResponse:
    try:
        conversation = access.message_get_for_update(user_id=request.user.pk, message_id=message_id).conversation
    except (NotFoundError, ForbiddenError) as exc:
        raise Http404 from exc
    form = MessageEditForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A message cannot be empty."))
        return _back_to_thread(conversation)
    try:
        message_update(user=request.user, message_id=message_id, content=form.cleaned_data["content"])
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Message updated."))
    return _back_to_thread(conversation)


@login_required
@require_POST
def message_delete(request: HttpRequest, message_id: int) -> HttpResponse:
    try:
        conversation = access.message_get_for_delete(user_id=request.user.pk, message_id=message_id).conversation
        message_services.message_delete(user=request.user, message_id=message_id)
    except (NotFoundError, ForbiddenError) as exc:
        raise Http404 from exc
    messages.success(request, _("Message deleted."))
    return _back_to_thread(conversation)


@login_required
@require_POST
def conversation_read(request: HttpRequest, conversation_key: str) -> HttpResponse:
    count = conversation_mark_read(user=request.user, conversation_key=conversation_key)
    if count:
        messages.success(request, _("Conversation marked as read."))
    return redirect("panel:conversations")


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    messages_mark_all_read(user=request.user)
    messages.success(request, _("All messages marked as read."))
    return redirect("panel:conversations")


@login_required
@require_POST
def ai_mode(request: HttpRequest) -> HttpResponse:
    mode = request.POST.get("mode")
    if mode not in ConversationMode.values:
        messages.error(request, _("Unknown mode."))
    else:
        ai_conversation_mode_set(user=request.user, mode=mode)
        if mode == ConversationMode.HUMAN:
            messages.success(request, _("A human agent will take over this conversation; the AI stays silent."))
        else:
            messages.success(request, _("The AI assistant answers this conversation again."))
    return redirect("panel:conversation", conversation_key=_ai_key(request))


@login_required
@require_POST
def ai_clear(request: HttpRequest) -> HttpResponse:
    ai_history_clear(user=request.user)
    messages.success(request, _("The assistant's memory of this conversation was cleared."))
    return redirect("panel:conversation", conversation_key=_ai_key(request))


def _recipients(request: HttpRequest, query: str) -> dict:
    return {
        "query": query,
        "people": user_search(query=query, exclude_id=request.user.pk) if query else [],
        "bot_id": settings.AI_BOT_USER_ID,
    }


@login_required
@require_GET
def recipient_options(request: HttpRequest) -> HttpResponse:
    """The picker's choices for a search (htmx swaps them in as the user types)."""
    query = request.GET.get("q", "").strip()
    context = {**_recipients(request, query), "selected": request.GET.get("recipient", "")}
    return render(request, "messaging/_recipient_options.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def conversation_new(request: HttpRequest) -> HttpResponse:
    query = (request.POST.get("q") or request.GET.get("q") or "").strip()
    form = NewMessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        recipient = form.cleaned_data["recipient"]
        try:
            message = message_send(sender=request.user, recipient_id=recipient, content=form.cleaned_data["content"])
        except ValidationError as exc:
            form.add_error("content", exc.messages[0])
        except ApplicationError as exc:
            form.add_error("recipient", error_text(exc))
        else:
            return redirect("panel:conversation", conversation_key=message.conversation.key)
    context = {**_recipients(request, query), "form": form, "selected": form.data.get("recipient", "")}
    return render(request, "messaging/conversation_new.html", context, status=400 if form.errors else 200)
