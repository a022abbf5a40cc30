"""What Twilio reports about outbound messages: every callback is kept
in an append-only log; the message's status never moves backwards and never leaves a terminal one."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from messaging.enums import Direction
from messaging.models import Message
from twilio_channel.client import twilio_client, twilio_configured
from twilio_channel.enums import STATUS_RANKS, TERMINAL_STATUSES
from twilio_channel.errors import classify
from twilio_channel.models import MessageStatusEvent

logger = logging.getLogger("twilio_webhook")

RECONCILE_AFTER = timedelta(minutes=10)
RECONCILE_WITHIN = timedelta(days=3)
RECONCILE_BATCH = 500


def status_rank_higher(current: str | None, reported: str) -> bool:
    if current in TERMINAL_STATUSES:
        return False
    if reported in TERMINAL_STATUSES or current is None:
        return True
    return STATUS_RANKS.get(reported, -1) > STATUS_RANKS.get(current, -1)


def _error_text(error_code: str, error_message: str) -> str | None:
    if error_message:
        return error_message[:500]
    return f"Error code: {error_code}" if error_code else None


def status_apply(
    *, sid: str, status: str, error_code: str = "", error_message: str = "", message_id: int | None = None
) -> Message | None:
    """Record one report of `sid` and move its message forward when it ranks higher. `message_id`
    (the callback's `mid`) finds a row whose SID is not stored yet. None for an unknown SID."""
    status = status.strip().lower()
    rows = Message.objects.filter(direction=Direction.OUTBOUND)
    message = None
    if message_id is not None:
        message = rows.filter(pk=message_id).first()
        if message is not None and message.twilio_sid and message.twilio_sid != sid:
            message = None  # a `mid` that names another message: trust the SID
    if message is None:
        message = rows.filter(external_id=sid).first()
    try:
        with transaction.atomic():
            MessageStatusEvent.objects.create(
                message=message, twilio_sid=sid, status=status, error_code=error_code, error_message=error_message
            )
    except IntegrityError:
        pass  # the same report again (Twilio retries callbacks): already recorded
    if message is None:
        logger.warning("Status %s for unknown message SID %s", status, sid)
        return None
    for _ in range(3):  # compare-and-set against concurrent callbacks of the same message
        if not status_rank_higher(message.status, status):
            return message
        fields: dict = {"status": status, "updated_at": timezone.now()}
        if not message.twilio_sid:
            fields["external_id"] = sid
        if error := _error_text(error_code, error_message):
            fields["error"] = error
        if Message.objects.filter(pk=message.pk, status=message.status).update(**fields):
            logger.info("Message %s (%s) is now %s", message.pk, sid, status)
            for name, value in fields.items():
                setattr(message, name, value)
            return message
        message.refresh_from_db(fields=["status", "external_id"])
    return message


def statuses_reconcile() -> int:
    """Daily: outbound messages still short of a final status are looked up in Twilio, in case
    callbacks were lost (PUBLIC_BASE_URL unset, the server unreachable). Returns how many moved."""
    if not twilio_configured():
        return 0
    now = timezone.now()
    pending = (
        Message.objects.filter(direction=Direction.OUTBOUND, external_id__isnull=False)
        .filter(created_at__gte=now - RECONCILE_WITHIN, updated_at__lt=now - RECONCILE_AFTER)
        .exclude(status__in=[*TERMINAL_STATUSES, "delivered", "read"])
    )
    moved = 0
    for message in pending[:RECONCILE_BATCH]:
        try:
            remote = twilio_client().messages(message.twilio_sid).fetch()
        except Exception as exc:
            try:
                summary = classify(exc).summary
            except Exception:
                summary = type(exc).__name__
            logger.warning("Status reconciliation of message %s failed: %s", message.pk, summary)
            continue
        before = message.status
        updated = status_apply(
            sid=message.twilio_sid or "",
            status=remote.status,
            error_code=str(remote.error_code or ""),
            error_message=remote.error_message or "",
        )
        if updated is not None and updated.status != before:
            moved += 1
    if moved:
        logger.info("Status reconciliation moved %s message(s)", moved)
    return moved
