"""Twilio's listing as rows of the shared Message table: the staff API's dict of a Twilio message,
the upsert by SID (the unique (channel, external id) pair decides between a sync and a webhook that
store the same message at once), a local row still without a SID taking the SID of the Twilio
message that matches it, and the import of a listing: its lost webhooks stored and answered through
the webhook's own `inbound_receive`, once; of older history only the newest inbound message may be
answered, and only when the active reply mode was switched on before it arrived and nobody wrote to
that number since. The Twilio calls themselves are in `remote`."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.text import text_clean
from inbox.models import AutoReplyConfig, Contact
from inbox.services.modes import reply_mode
from messaging.enums import Direction
from messaging.models import CONTENT_MAX_LENGTH, Message
from messaging.services.conversations import channel_conversation_get, conversation_touch
from orchestrator.models import AIConfig
from twilio_channel.addresses import channel_of, participant_number
from twilio_channel.models import SendState
from twilio_channel.services.inbound import InboundMessage, inbound_receive
from twilio_channel.services.statuses import status_apply

logger = logging.getLogger("twilio_webhook")

PLACEHOLDER_WINDOW = timedelta(seconds=600)
# An inbound message this young may still have its webhook on the way (with its media URLs and the
# sender's profile name, which Twilio's list lacks): left to it, a later listing looks again.
WEBHOOK_SETTLE_S = 15


# --- Twilio's message dict --------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.isoformat()


def twilio_message_dict(resource: Any) -> dict:
    """The staff API's Twilio dict of an SDK MessageInstance; dates as UTC ISO strings."""
    return {
        "sid": resource.sid,
        "status": resource.status,
        "direction": resource.direction,
        "from": resource.from_,
        "to": resource.to,
        "body": resource.body,
        "num_media": resource.num_media,
        "num_segments": resource.num_segments,
        "error_code": resource.error_code,
        "error_message": resource.error_message,
        "messaging_service_sid": resource.messaging_service_sid,
        "price": resource.price,
        "price_unit": resource.price_unit,
        "date_created": _iso(resource.date_created),
        "date_updated": _iso(resource.date_updated),
        "date_sent": _iso(resource.date_sent),
    }


# --- upsert -----------------------------------------------------------------------------------


def _direction(resource: Any) -> str:
    """Twilio's `outbound-api`, `outbound-reply` and `outbound-call` are all ours going out."""
    return Direction.OUTBOUND if (resource.direction or "").startswith("outbound") else Direction.INBOUND


def _participant(resource: Any) -> str:
    return (resource.from_ if _direction(resource) == Direction.INBOUND else resource.to) or ""


def _created_at(resource: Any) -> datetime:
    moment = resource.date_created
    if moment is None:
        return timezone.now()
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _num_media(resource: Any) -> int:
    try:
        return max(0, int(resource.num_media or 0))
    except (TypeError, ValueError):
        return 0


def _error_text(resource: Any) -> str | None:
    if resource.error_message:
        return str(resource.error_message)[:500]
    return f"Error code: {resource.error_code}" if resource.error_code else None


def _placeholder_claim(resource: Any) -> Message | None:
    """A local row without SID, same direction, from and to, created within 600 s of the Twilio
    message, takes its SID (compare-and-set). An outbound row stored before its sender was known
    (a messaging service picks it) has no from and still matches. A row still waiting for its
    first attempt never went to Twilio, so it is no placeholder."""
    direction = _direction(resource)
    at = _created_at(resource)
    rows = Message.objects.filter(
        external_id__isnull=True,
        direction=direction,
        to_number=resource.to or "",
        created_at__gte=at - PLACEHOLDER_WINDOW,
        created_at__lte=at + PLACEHOLDER_WINDOW,
    )
    if direction == Direction.OUTBOUND:
        rows = rows.filter(
            Q(from_number=resource.from_ or "") | Q(from_number__isnull=True) | Q(from_number="")
        ).exclude(outbound_send__state=SendState.PENDING, outbound_send__needs_reconcile=False)
    else:
        rows = rows.filter(from_number=resource.from_ or "")
    body = resource.body or ""
    candidates = sorted(rows[:20], key=lambda row: (row.content != body, abs(row.created_at - at)))
    for candidate in candidates:
        try:
            with transaction.atomic():
                claimed = Message.objects.filter(pk=candidate.pk, external_id__isnull=True).update(
                    external_id=resource.sid, updated_at=timezone.now()
                )
        except IntegrityError:  # another caller stored this SID meanwhile: the caller finds that row
            return None
        if claimed:
            candidate.twilio_sid = resource.sid
            logger.info("Message %s takes the SID %s of its Twilio copy", candidate.pk, resource.sid)
            return candidate
    return None


def _outbound_create(resource: Any) -> Message:
    to = resource.to or ""
    channel = channel_of(to)
    number = participant_number(to)
    at = _created_at(resource)
    conversation = channel_conversation_get(number=number, channel=channel)
    message = Message(
        conversation=conversation,
        recipient_id=Contact.objects.filter(address=number, channel=channel).values_list("user_id", flat=True).first(),
        content=text_clean(resource.body or "")[:CONTENT_MAX_LENGTH],
        channel=channel,
        direction=Direction.OUTBOUND,
        from_number=resource.from_ or None,
        to_number=to,
        participant_number=number,
        external_id=resource.sid,
        status=resource.status,
        error=_error_text(resource),
        num_media=_num_media(resource),
        created_at=at,
    )
    message.full_clean(
        exclude=["conversation"], validate_unique=False, validate_constraints=False
    )  # the constraint decides below
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:  # stored by a concurrent sync or send meanwhile
        return Message.objects.get(external_id=resource.sid)
    conversation_touch(conversation=conversation, at=at)
    logger.info("Twilio sync stored outbound message %s (%s)", message.pk, resource.sid)
    return message


def _outbound_upsert(resource: Any) -> Message:
    message = Message.objects.filter(external_id=resource.sid).first() or _placeholder_claim(resource)
    if message is None:
        return _outbound_create(resource)
    # The rank rules of the status callbacks: never lower, never out of a final one.
    if resource.status and status_apply(
        sid=resource.sid,
        status=resource.status,
        error_code=str(resource.error_code or ""),
        error_message=resource.error_message or "",
        message_id=message.pk,
    ):
        message.refresh_from_db()
    return message


def _inbound_upsert(resource: Any, *, answer: bool) -> tuple[Message, bool]:
    """(message, created here)."""
    message = Message.objects.filter(external_id=resource.sid).first() or _placeholder_claim(resource)
    if message is not None:
        return message, False  # stored before (by the webhook, say): never answered again from here
    inbound = InboundMessage(
        sid=resource.sid,
        from_=resource.from_ or "",
        to=resource.to or "",
        body=text_clean(resource.body or ""),  # as the webhook's: kept without a NUL
        status=resource.status or "received",
        received_at=_created_at(resource),
    )
    message, created = inbound_receive(inbound=inbound, answer=answer)
    media = _num_media(resource)
    if created and media and not message.num_media:  # Twilio lists the count, not the media URLs
        Message.objects.filter(pk=message.pk).update(num_media=media)
        message.num_media = media
    return message, created


def remote_upsert(resource: Any, *, answer: bool = False) -> Message:
    """Store one Twilio message by SID, or bring its row up to date (status only, by rank). An
    inbound one is filed as the webhook files it (a known user's AI thread, else the number's
    thread); `answer=True` lets the webhook's pipeline answer it if it is new here."""
    if not resource.sid:
        raise ValueError("a Twilio message without a SID")
    if _direction(resource) == Direction.OUTBOUND:
        return _outbound_upsert(resource)
    return _inbound_upsert(resource, answer=answer)[0]


@dataclass(frozen=True)
class LostWebhooks:
    # SID -> its row, oldest first: stored and answered here (or by a concurrent caller, or a placeholder's)
    stored: dict[str, Message]
    # every SID of the window's inbound messages that had no row: stored above, or left to its webhook
    taken: frozenset[str]


def lost_webhooks_receive(resources: Iterable[Any]) -> LostWebhooks:
    """A listed inbound message that arrived within TWILIO_INBOUND_RECONCILE_WINDOW_S
    and has no row here is a webhook that never reached us. Once it has settled (WEBHOOK_SETTLE_S)
    it is stored and answered through the webhook's own pipeline, oldest first; a younger one is
    left to its webhook. Every caller that lists messages runs them through here first, so none of
    them stores a lost webhook unanswered; the unique MessageSid decides between callers and a late
    webhook, so the message is answered once."""
    now = timezone.now()
    since = now - timedelta(seconds=settings.TWILIO_INBOUND_RECONCILE_WINDOW_S)
    settled = now - timedelta(seconds=WEBHOOK_SETTLE_S)
    recent = [
        resource
        for resource in resources
        if resource.sid and _direction(resource) == Direction.INBOUND and _created_at(resource) >= since
    ]
    known = set(
        Message.objects.filter(external_id__in=[resource.sid for resource in recent]).values_list(
            "external_id", flat=True
        )
    )
    unstored = [resource for resource in recent if resource.sid not in known]
    stored = {}
    for resource in sorted((r for r in unstored if _created_at(r) <= settled), key=_created_at):
        message, created = _inbound_upsert(resource, answer=True)
        if created:
            logger.warning(
                "Inbound message %s never came through its webhook: stored from Twilio's list as message %s",
                resource.sid,
                message.pk,
            )
        stored[resource.sid] = message
    return LostWebhooks(stored=stored, taken=frozenset(resource.sid for resource in unstored))


def _mode_enabled_since() -> datetime | None:
    """When the active reply mode was switched on; None with no mode on (nothing answers history)."""
    mode = reply_mode()
    if mode == "ai":
        return AIConfig.objects.filter(pk=1).values_list("enabled_since", flat=True).first()
    if mode == "auto_reply":
        return AutoReplyConfig.objects.filter(pk=1).values_list("enabled_since", flat=True).first()
    return None


def _answerable(resource: Any) -> bool:
    """New here, received after the active mode was enabled, and not followed by
    an outbound message to the same number (someone already answered)."""
    if resource.date_created is None or Message.objects.filter(external_id=resource.sid).exists():
        return False
    since = _mode_enabled_since()
    at = _created_at(resource)
    if since is None or at <= since:
        return False
    address = _participant(resource)
    return not Message.objects.filter(
        direction=Direction.OUTBOUND,
        participant_number=participant_number(address),
        channel=channel_of(address),
        created_at__gt=at,
    ).exists()


def _newest_inbound(resources: list[Any]) -> Any | None:
    inbound = [r for r in resources if r.sid and _direction(r) == Direction.INBOUND]
    return max(inbound, key=_created_at) if inbound else None


def listing_import(resources: Iterable[Any]) -> list[Message]:
    """Upsert a listing: its lost webhooks first (stored and answered, or left to their webhook
    while young), then the rest; the newest inbound message last, once the outbound ones that may
    answer it are stored, and answered only when `_answerable`. Only the newest inbound message of
    the whole listing may be answered as history: one a lost webhook took answers nothing more."""
    listed = [r for r in resources if r.sid]
    lost = lost_webhooks_receive(listed)
    newest = _newest_inbound(listed)
    stored: dict[str, Message] = dict(lost.stored)
    for resource in listed:
        if resource is not newest and resource.sid not in lost.taken:
            stored[resource.sid] = remote_upsert(resource)
    if newest is not None and newest.sid not in lost.taken:
        answer = _answerable(newest)
        stored[newest.sid] = remote_upsert(newest, answer=answer)
        if answer:
            logger.info("Twilio sync: newest inbound %s is queued for a reply", newest.sid)
    return [stored[r.sid] for r in listed if r.sid in stored]
