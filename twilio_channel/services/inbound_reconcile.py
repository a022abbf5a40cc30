"""The inbound reconcile (CONTRACT §8.2): a webhook that never reached us, or that we could not
store (a database blip answered 503, a proxy dropped it), is found in Twilio's own list of
messages and goes through the webhook's own pipeline.

Twilio does not retry an inbound webhook unless the URL asks it to (README), so beat runs this every
TWILIO_INBOUND_RECONCILE_INTERVAL_S over the last TWILIO_INBOUND_RECONCILE_WINDOW_S: an inbound
message Twilio lists that has no row here is stored and answered by `inbound_receive`, exactly as
its webhook would have been. The unique MessageSid decides between this and a late webhook, so a
message is stored and answered once, however often both run.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from messaging.enums import Direction
from messaging.models import Message
from twilio_channel.client import twilio_client, twilio_configured
from twilio_channel.services.remote import _created_at, _direction, _twilio, _utc, remote_upsert

logger = logging.getLogger("twilio_webhook")

# A message this young may still have its webhook on the way: left to it (the next run looks again).
SETTLE_S = 15


def inbound_reconcile() -> list[Message]:
    """Store and answer the inbound messages of the window that Twilio lists and we never stored,
    oldest first; the rows stored. Without Twilio credentials there is nothing to do. A Twilio
    failure is logged and raised as BadGatewayError (the next run tries again)."""
    if not twilio_configured():
        return []
    now = timezone.now()
    since = now - timedelta(seconds=settings.TWILIO_INBOUND_RECONCILE_WINDOW_S)
    settled = now - timedelta(seconds=SETTLE_S)
    # Newest first and bounded; Twilio may read DateSent> as a whole day, so the window is also
    # applied here.
    listed = _twilio(
        lambda: twilio_client().messages.list(
            date_sent_after=_utc(since), limit=settings.TWILIO_INBOUND_RECONCILE_LIMIT
        ),
        action="inbound reconcile",
    )
    inbound = [
        resource
        for resource in listed
        if resource.sid and _direction(resource) == Direction.INBOUND and since <= _created_at(resource) <= settled
    ]
    known = set(
        Message.objects.filter(twilio_sid__in=[resource.sid for resource in inbound]).values_list(
            "twilio_sid", flat=True
        )
    )
    recovered = []
    for resource in sorted((r for r in inbound if r.sid not in known), key=_created_at):
        message = remote_upsert(resource, answer=True)
        logger.warning(
            "Inbound message %s never came through its webhook: stored from Twilio's list as message %s",
            resource.sid,
            message.pk,
        )
        recovered.append(message)
    return recovered
