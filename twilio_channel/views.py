"""Twilio's webhooks: check the signature, parse, call one service."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.cache import RETRY_AFTER_S
from core.db import once_more_on_new_connection
from core.json_input import json_loads
from core.text import text_clean
from twilio_channel.services.inbound import InboundMessage, inbound_receive
from twilio_channel.services.statuses import status_apply
from twilio_channel.webhooks import signature_valid

logger = logging.getLogger("twilio_webhook")

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
# Lower-case JSON keys (`from`, `body`), accepted only while signatures are not checked.
LENIENT_KEYS = {"from": "From", "to": "To", "body": "Body", "message_sid": "MessageSid", "messagesid": "MessageSid"}


def _twiml() -> HttpResponse:
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


def stored_or_503(unavailable: Callable[[], HttpResponse]):
    """Twilio does not retry a webhook by default, so a 500 loses the message. The view runs once
    more on a new connection when its connection died under it (the service dedups on MessageSid,
    so a second run stores nothing twice); if the database still cannot store it, Twilio gets
    `unavailable()` as a 503 with Retry-After, which its connection overrides retry (README), and
    the inbound reconcile finds the message in Twilio's list otherwise."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                return once_more_on_new_connection(lambda: view(request, *args, **kwargs), logger_name=logger.name)
            except (OperationalError, InterfaceError) as exc:
                logger.warning(
                    "Twilio webhook %s not stored: database unavailable (%s); answered 503",
                    request.path,
                    type(exc).__name__,
                )
            response = unavailable()
            response.status_code = 503
            response["Retry-After"] = str(RETRY_AFTER_S)
            response._has_been_logged = True  # type: ignore[attr-defined]  # logged above, without a traceback
            return response

        return wrapper

    return decorate


def _unavailable_json() -> JsonResponse:
    return JsonResponse({"detail": "Service temporarily unavailable. Try again later."})


@csrf_exempt
@require_POST
@stored_or_503(_twiml)
def inbound(request: HttpRequest) -> HttpResponse:
    """T1: an SMS or WhatsApp message to one of our numbers. Stored, its reply queued; Twilio gets
    empty TwiML at once (a duplicate too)."""
    if not signature_valid(request):
        return HttpResponse("Forbidden", status=403, content_type="text/plain")
    message = InboundMessage.from_form(request.POST)
    if not (message.from_ and message.to and message.sid):
        return _twiml()
    inbound_receive(inbound=message)
    return _twiml()


def _lenient_form(request: HttpRequest) -> QueryDict | dict:
    """JSON and lower-case keys are also taken, only without signature checks."""
    form: QueryDict | dict = request.POST
    if settings.TWILIO_VALIDATE_SIGNATURE:
        return form
    if request.content_type == "application/json":
        try:
            body = json_loads(request.body or b"{}")
        except ValueError:
            body = {}
        form = {str(key): str(value) for key, value in body.items()} if isinstance(body, dict) else {}
    return {LENIENT_KEYS.get(key.lower(), key): value for key, value in form.items()}


@csrf_exempt
@require_POST
@stored_or_503(_unavailable_json)
def twilio_webhook(request: HttpRequest) -> JsonResponse:
    """W1: the same pipeline as T1, with a JSON answer (`/twilio_webhook`)."""
    if not signature_valid(request):
        return JsonResponse({"detail": "Invalid Twilio signature"}, status=403)
    parsed = InboundMessage.from_form(_lenient_form(request))
    if not (parsed.from_ and parsed.to and parsed.sid):
        return JsonResponse({"detail": "From, To and MessageSid are required"}, status=400)
    message, _ = inbound_receive(inbound=parsed)
    if message.sender_id is None:
        return JsonResponse({"status": "user not found", "from": parsed.from_})
    return JsonResponse({"status": "message saved", "user_id": message.sender_id, "message_id": message.pk})


@csrf_exempt
@require_POST
@stored_or_503(lambda: JsonResponse({"status": "error", "message": "Service temporarily unavailable"}))
def status_callback(request: HttpRequest) -> JsonResponse:
    """T2: a delivery status of one of our outbound messages; `?mid=` names the row."""
    if not signature_valid(request):
        return JsonResponse({"status": "forbidden", "message": "Invalid signature"}, status=403)
    form = {key: text_clean(value) for key, value in request.POST.items()}  # no NUL reaches the database
    sid = (form.get("MessageSid") or form.get("SmsSid") or "").strip()
    status = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip()
    if not sid:
        return JsonResponse({"status": "error", "message": "Missing MessageSid"}, status=400)
    if not status:
        return JsonResponse({"status": "error", "message": "Missing status"}, status=400)
    mid = request.GET.get("mid", "")
    status_apply(
        sid=sid,
        status=status,
        error_code=(form.get("ErrorCode") or "").strip(),
        error_message=(form.get("ErrorMessage") or "").strip(),
        message_id=int(mid) if mid.isdigit() else None,
    )
    return JsonResponse({"status": "ok"})
