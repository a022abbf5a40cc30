"""Telegram's webhook (check the secret, parse, hand the update to the one pipeline) and the
profile's "Connect Telegram" and "Disconnect Telegram"."""

import hmac
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.db import once_more_on_new_connection
from core.json_input import json_loads
from telegram_channel.client import TelegramError, TelegramNotConfigured
from telegram_channel.inbound import update_handle
from telegram_channel.linking import bot_username, chats_unlink, link_code_issue
from telegram_channel.updates import UpdateInvalid, update_parse

logger = logging.getLogger("twilio_webhook")  # the contract's log of the external channels


def _secret_valid(request: HttpRequest) -> bool:
    expected, given = settings.TELEGRAM_WEBHOOK_SECRET, request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if expected and hmac.compare_digest(given.encode(), expected.encode()):
        return True
    why = f"the secret token header is {'wrong' if given else 'missing'}" if expected else "no TELEGRAM_WEBHOOK_SECRET"
    logger.warning("Telegram webhook refused (403): %s", why)
    return False


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    """One update from Telegram: stored and its reply queued, answered 200 at once (Telegram
    redelivers until it gets a 200; the update_id dedups)."""
    if not _secret_valid(request):
        return JsonResponse({"detail": "Forbidden"}, status=403)
    try:
        update = update_parse(json_loads(request.body))
    except UpdateInvalid as exc:
        return JsonResponse({"detail": str(exc), "field": exc.field}, status=400)
    except ValueError:
        return JsonResponse({"detail": "The body must be a JSON Telegram update.", "field": "body"}, status=400)
    if update is not None:
        try:  # a second run stores nothing twice: the update_id dedups
            once_more_on_new_connection(lambda: update_handle(update), logger_name=logger.name)
        except (OperationalError, InterfaceError) as exc:
            # Telegram redelivers until it gets a 200: a 503 keeps the update, never a 500.
            logger.warning("Telegram update not stored: database unavailable (%s); answered 503", type(exc).__name__)
            return JsonResponse({"detail": "Service temporarily unavailable. Try again later."}, status=503)
    return JsonResponse({"ok": True})


@login_required
@require_POST
def connect(request: HttpRequest) -> HttpResponse:
    """A one-time code and its deep link (https://t.me/<bot>?start=<code>)."""
    try:
        code, expires_at = link_code_issue(user=request.user)  # type: ignore[arg-type]
        context = {"code": code, "link": f"https://t.me/{bot_username()}?start={code}", "expires_at": expires_at}
    except (TelegramNotConfigured, TelegramError) as exc:
        logger.warning("Telegram link page unavailable: %s", type(exc).__name__)
        return render(request, "telegram_channel/connect.html", status=503)
    return render(request, "telegram_channel/connect.html", context)


@login_required
@require_POST
def disconnect(request: HttpRequest) -> HttpResponse:
    chats_unlink(user=request.user)  # type: ignore[arg-type]
    messages.success(request, _("Telegram is disconnected: the bot no longer acts for your account."))
    return redirect("panel:profile")
