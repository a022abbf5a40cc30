"""The dashboard's messages tab: the table and stats it polls, the send form, and a failed message's retry."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import ApplicationError
from core.panel import add_validation_errors, error_text
from messaging.enums import Direction
from twilio_channel import selectors
from twilio_channel.forms import (
    SendForm,
)
from twilio_channel.panel_views.access import staff_required
from twilio_channel.panel_views.shared import (
    form_refusal,
    message_row,
    redirect_to_tab,
    render_tab,
    sent_notice,
)
from twilio_channel.services.remote import sync_request
from twilio_channel.services.staff_sends import outbound_retry, staff_send

MESSAGES_LIMIT = 50  # the table shows the last 50 entries
MESSAGES_REFRESH_S = 15  # the dashboard's table and stats


def _direction(request: HttpRequest) -> str:
    direction = request.GET.get("direction", "")
    return direction if direction in (Direction.INBOUND, Direction.OUTBOUND) else ""


def _messages_context(direction: str) -> dict:
    stats = selectors.message_stats()
    rows = selectors.panel_message_list(limit=MESSAGES_LIMIT, direction=direction or None)
    return {
        "direction": direction,
        "stats": stats,
        "rows": [message_row(message) for message in rows],
        "refresh_s": MESSAGES_REFRESH_S,
    }


def messages_page(request: HttpRequest, *, status: int = 200, send_form: SendForm | None = None) -> HttpResponse:
    sync_request(limit=MESSAGES_LIMIT)  # throttled, in a task, as the API's list and stats do
    context = {**_messages_context(_direction(request)), "send_form": send_form or SendForm()}
    return render_tab(request, tab="messages", status=status, context=context)


@staff_required
@require_GET
def messages_fragment(request: HttpRequest) -> HttpResponse:
    """The table (and, out of band, the stats cards) that the dashboard polls."""
    sync_request(limit=MESSAGES_LIMIT)
    return render(request, "twilio_channel/_messages.html", {**_messages_context(_direction(request)), "oob": True})


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
            status = form_refusal(form, exc)
        except ValidationError as exc:
            add_validation_errors(form, exc, fields={"content": "body", "to_number": "to"})
        else:
            sent_notice(request, message)
            return redirect_to_tab("messages")
    return messages_page(request, status=status, send_form=form)


@staff_required
@require_POST
def retry(request: HttpRequest, message_id: int) -> HttpResponse:
    """Resend a failed message and go back to its thread, where the new row shows."""
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
