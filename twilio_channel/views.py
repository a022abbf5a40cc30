"""Twilio's webhooks (CONTRACT §3.1 T1–T2, §9.3): check the signature, parse, call one service."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from twilio_channel.services.statuses import status_apply
from twilio_channel.webhooks import signature_valid


@csrf_exempt
@require_POST
def status_callback(request: HttpRequest) -> JsonResponse:
    """T2: a delivery status of one of our outbound messages; `?mid=` names the row."""
    if not signature_valid(request):
        return JsonResponse({"status": "forbidden", "message": "Invalid signature"}, status=403)
    form = request.POST
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
