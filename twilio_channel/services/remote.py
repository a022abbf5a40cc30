"""Twilio's own copy of the messages: the sync that the log's
read endpoints ask for, the remote list and fetch, redaction and deletion.

Whatever Twilio lists is upserted into the shared Message table by SID (`remote_import`). An
inbound message listed that we never stored and that arrived within the inbound reconcile's window
(TWILIO_INBOUND_RECONCILE_WINDOW_S) is a lost webhook, whoever lists it first (the sync, the remote
list or fetch, the reconcile): it is stored and answered through the webhook's own pipeline, once.

The sync is throttled globally in the shared cache: ten web processes asking within
TWILIO_SYNC_MIN_INTERVAL_S make one Twilio request, from one Celery task.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from twilio.base.exceptions import TwilioException, TwilioRestException

from core.cache import cache_or_fallback
from core.exceptions import ApplicationError, BadGatewayError, NotFoundError
from core.tasks import enqueue_on_commit
from messaging.models import Conversation, Message
from twilio_channel.client import twilio_client, twilio_configured
from twilio_channel.errors import classify
from twilio_channel.services.remote_import import (
    listing_import,
    lost_webhooks_receive,
    remote_upsert,
    twilio_message_dict,
)

logger = logging.getLogger("twilio_webhook")

T = TypeVar("T")

SYNC_KEY = "twilio:sync"
SYNC_FALLBACK = "Twilio syncs are throttled per process until it is back"
NOT_FOUND = "Message not found."

# Without the shared cache each process throttles itself (one sync per interval).
_process_lock = threading.Lock()
_process_last_sync = [float("-inf")]


# --- Twilio calls -----------------------------------------------------------------------------


def _page_error(exc: Exception) -> Exception:
    """The SDK's list() reports an HTTP error as a bare TwilioException holding the response:
    read Twilio's status and code from it, as every other call reports them."""
    if isinstance(exc, TwilioRestException) or not isinstance(exc, TwilioException) or len(exc.args) < 2:
        return exc
    status = getattr(exc.args[1], "status_code", None)
    if not isinstance(status, int):
        return exc
    try:
        payload = json.loads(exc.args[1].text)
    except (TypeError, ValueError):
        payload = {}
    code = payload.get("code") if isinstance(payload, dict) else None
    return TwilioRestException(status, "", msg="Unable to fetch page", code=code if isinstance(code, int) else None)


def _twilio(
    call: Callable[[], T], *, action: str, sid: str = "", not_found: bool = False, client_error: bool = False
) -> T:
    """Run one SDK call. A failure is logged with its classified summary (Twilio's code and HTTP
    status, never the request) and raised as a domain error carrying that summary: 400 for
    `client_error`, NotFoundError for Twilio's 404 with `not_found`, else 502."""
    try:
        return call()
    except (TwilioException, requests.RequestException) as raised:
        exc = _page_error(raised)
        summary = classify(exc).summary
        logger.warning("Twilio %s%s failed: %s", action, f" of {sid}" if sid else "", summary)
        if not_found and isinstance(exc, TwilioRestException) and exc.status == 404:
            raise NotFoundError(NOT_FOUND) from raised
        if client_error:
            raise ApplicationError(summary) from raised
        raise BadGatewayError(summary) from raised


def _utc(moment: datetime) -> datetime:
    """The SDK writes a filter time as `%Y-%m-%dT%H:%M:%SZ` without converting it: give it UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def twilio_messages_list(*, action: str, limit: int, **filters: Any) -> list[Any]:
    """Twilio's messages, newest first, at most `limit`; the filters (`to`, `from_`, `date_sent`,
    `date_sent_before`, `date_sent_after`) that are set are passed on, times in UTC. A failure is
    logged and raised as `_twilio` does (BadGatewayError)."""
    params = {name: _utc(value) if isinstance(value, datetime) else value for name, value in filters.items() if value}
    return _twilio(lambda: twilio_client().messages.list(limit=limit, **params), action=action)


def sync_recent_messages(*, limit: int) -> int:
    """List the newest `limit` messages from Twilio and upsert them: lost webhooks are answered, and
    of the history the newest inbound one may be. Returns how many were stored or
    brought up to date (an unstored inbound message still waiting for its webhook is left to it).
    Unthrottled: `sync_request` is the throttled way in."""
    messages = listing_import(twilio_messages_list(action="sync", limit=limit))
    logger.info("Twilio sync: %s message(s) listed and upserted", len(messages))
    return len(messages)


def _process_throttle(interval: float) -> bool:
    now = time.monotonic()
    with _process_lock:
        if now - _process_last_sync[0] < interval:
            return False
        _process_last_sync[0] = now
        return True


def sync_request(*, limit: int = 50) -> bool:
    """Ask for a sync, at most once per TWILIO_SYNC_MIN_INTERVAL_S across every process (the key
    lives in the shared cache); the task runs once the caller's transaction commits. True when
    this call enqueued it. Without Twilio credentials there is nothing to sync."""
    if not twilio_configured():
        return False
    sync_task = "twilio_channel.sync_recent_messages"  # queued by name: the tasks module calls this one

    interval = settings.TWILIO_SYNC_MIN_INTERVAL_S
    due = cache_or_fallback(
        lambda: bool(cache.add(SYNC_KEY, 1, timeout=interval)),
        lambda: _process_throttle(interval),
        fallback_name=SYNC_FALLBACK,
    )
    if due:
        enqueue_on_commit(sync_task, limit)
    return due


def remote_list(
    *,
    limit: int,
    to: str | None = None,
    from_: str | None = None,
    date_sent: datetime | None = None,
    date_sent_before: datetime | None = None,
    date_sent_after: datetime | None = None,
) -> list[dict]:
    """T8: straight from Twilio, newest first, unthrottled; the items are imported as in the sync."""
    resources = twilio_messages_list(
        action="list",
        limit=limit,
        to=to,
        from_=from_,
        date_sent=date_sent,
        date_sent_before=date_sent_before,
        date_sent_after=date_sent_after,
    )
    listing_import(resources)
    return [twilio_message_dict(resource) for resource in resources]


def remote_fetch(*, sid: str) -> dict:
    """T9: one message from Twilio, upserted here; answered only when it is a lost webhook (the
    sync's newest-inbound rule is for listings)."""
    resource = _twilio(lambda: twilio_client().messages(sid).fetch(), action="fetch", sid=sid, not_found=True)
    if resource.sid not in lost_webhooks_receive([resource]).taken:
        remote_upsert(resource)
    return twilio_message_dict(resource)


def remote_redact(*, sid: str) -> dict:
    """T10: Twilio blanks the body first; only then does the local row lose its text. When Twilio
    fails the local row is left as it was."""
    resource = _twilio(
        lambda: twilio_client().messages(sid).update(body=""), action="redact", sid=sid, client_error=True
    )
    remote_upsert(resource)
    Message.objects.filter(external_id=sid).update(content="", updated_at=timezone.now())
    logger.info("Message %s redacted in Twilio and here", sid)
    return {"sid": resource.sid or sid, "body": resource.body or "", "status": resource.status}


@transaction.atomic
def _local_delete(*, sid: str) -> int:
    rows = Message.objects.filter(external_id=sid)
    conversation_ids = {pk for pk in rows.values_list("conversation_id", flat=True) if pk is not None}
    deleted, _ = rows.delete()
    for conversation_id in conversation_ids:
        newest = Message.objects.filter(conversation_id=conversation_id).aggregate(at=Max("created_at"))["at"]
        Conversation.objects.filter(pk=conversation_id).update(last_message_at=newest)
    return deleted


def remote_delete(*, sid: str) -> dict:
    """T11: deleted in Twilio first, then here by SID; when Twilio fails the local row is kept."""
    _twilio(lambda: twilio_client().messages(sid).delete(), action="delete", sid=sid, client_error=True)
    deleted = _local_delete(sid=sid)
    logger.info("Message %s deleted in Twilio (%s local row(s) deleted)", sid, deleted)
    return {"sid": sid, "deleted": True}
