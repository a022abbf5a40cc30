"""The phone simulator tab (issue 28 point 2): a contact's phone, written through the webhook's pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import ApplicationError
from twilio_channel import selectors
from twilio_channel.forms import (
    SimulatorForm,
)
from twilio_channel.panel_views.access import superuser_required
from twilio_channel.panel_views.shared import (
    THREAD_LIMIT,
    MessageRow,
    form_refusal,
    message_row,
    redirect_to_tab,
    render_tab,
)
from twilio_channel.services.simulator import (
    simulator_inbound,
    simulator_participant,
    simulator_received_texts,
    simulator_replies_are_real,
)

SIMULATOR_REFRESH_S = 2  # the simulator's phone: replies come within seconds


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


def simulator_page(
    request: HttpRequest, *, status: int = 200, simulator_form: SimulatorForm | None = None
) -> HttpResponse:
    return render_tab(request, tab="simulator", status=status, context=_simulator_context(request, simulator_form))


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
            status = form_refusal(form, exc)
        else:
            return redirect_to_tab("simulator", number=data["number"].strip(), channel=data["channel"])
    return simulator_page(request, status=status, simulator_form=form)


@superuser_required
@require_GET
def simulator_thread(request: HttpRequest) -> HttpResponse:
    """The simulated phone's screen alone: what the simulator polls."""
    context = _simulator_thread(request.GET.get("number", ""), request.GET.get("channel", "sms"))
    return render(request, "twilio_channel/_simulator_thread.html", context)
