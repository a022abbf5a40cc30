"""Replies and staff messages over a contact's channel: through the channel's own delivery when it
has one (Twilio), else the inbox's (inbox.services.delivery)."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from inbox.channels import UnknownChannel, get_channel
from inbox.models import Contact
from inbox.services import delivery
from messaging.models import Conversation, Message


def reply_send(
    *, to_message: Message, text: str, send_here: bool = False, contact: Contact | None = None, **fields
) -> Message:
    """The reply to `to_message` over its own channel, stored as an outbound row and sent once the
    transaction commits (or stored as failed when the channel refuses it): from the channel's send
    task, or `send_here`, from this process (a worker's task that decided the reply). `contact` is
    the sender's, when the caller read it in this transaction (else the reply reads it). `fields`
    are extra Message fields (the sender, and the agent, model and token usage of an AI reply)."""
    spec = get_channel(to_message.channel)
    send = import_string(spec.replier) if spec.replier else delivery.outbound_reply
    return send(to_message=to_message, text=text, send_here=send_here, contact=contact, **fields)


def channel_send(
    *, channel: str, address: str, text: str, conversation: Conversation | None = None, **fields
) -> Message:
    """A message to an address of a channel that runs no delivery of its own (a staff send); an
    opted-out contact's is stored as failed and not sent."""
    return delivery.outbound_send(channel=channel, address=address, text=text, conversation=conversation, **fields)


class InboxReplier:
    """messaging's replier of messages that came from outside (settings.MESSAGING_EXTERNAL_REPLIER)."""

    def reply(self, *, to_message: Message, text: str, send_here: bool = False, **fields) -> Message:
        return reply_send(to_message=to_message, text=text, send_here=send_here, **fields)

    def burst_window(self, channel: str) -> float:
        try:
            return get_channel(channel).burst_window()
        except UnknownChannel:
            return max(0.0, float(settings.AI_BURST_WINDOW_S))

    def opted_out(self, message: Message) -> bool:
        return Contact.objects.filter(
            channel=message.channel, address=message.participant_number or "", opted_out=True
        ).exists()


replier = InboxReplier()
