"""The inbound reconcile: a webhook that never reached us, or that we could not
store (a database blip answered 503, a proxy dropped it), is found in Twilio's own list of
messages and goes through the webhook's own pipeline.

Twilio does not retry an inbound webhook unless the URL asks it to (README), so beat runs this every
TWILIO_INBOUND_RECONCILE_INTERVAL_S over the last TWILIO_INBOUND_RECONCILE_WINDOW_S: an inbound
message Twilio lists that has no row here is stored and answered by `inbound_receive`, exactly as
its webhook would have been. The unique MessageSid decides between this and a late webhook, so a
message is stored and answered once, however often both run. The staff dashboard's Twilio sync may
list such a message first: it hands it to the same `lost_webhooks_receive`, so it is answered then,
once, and this run finds it stored.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from messaging.models import Message
from twilio_channel.client import twilio_configured
from twilio_channel.services.remote import twilio_messages_list
from twilio_channel.services.remote_import import lost_webhooks_receive


def inbound_reconcile() -> list[Message]:
    """Store and answer the inbound messages of the window that Twilio lists and we never stored,
    oldest first; the rows stored. Without Twilio credentials there is nothing to do. A Twilio
    failure is logged and raised as BadGatewayError (the next run tries again)."""
    if not twilio_configured():
        return []
    since = timezone.now() - timedelta(seconds=settings.TWILIO_INBOUND_RECONCILE_WINDOW_S)
    # Newest first and bounded; Twilio may read DateSent> as a whole day, so lost_webhooks_receive
    # applies the window itself.
    listed = twilio_messages_list(
        action="inbound reconcile", limit=settings.TWILIO_INBOUND_RECONCILE_LIMIT, date_sent_after=since
    )
    return list(lost_webhooks_receive(listed).stored.values())
