"""Who delivers a reply to a message that came from outside (SMS, WhatsApp). Messaging stores the
messages; the channel app, a layer above, sends them. `settings.MESSAGING_CHANNEL_SENDERS` names the
sender of each channel, so no module of messaging imports a channel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from messaging.models import Message


class ChannelSender(Protocol):
    def reply(self, *, to_message: Message, text: str, **fields) -> Message:
        """Store the reply to `to_message` as an outbound row, sent once the transaction commits
        (or stored as failed when the channel refuses it). `fields` are extra Message fields
        (the agent, model and token usage of an AI reply)."""
        ...


def channel_sender(channel: str) -> ChannelSender:
    return import_string(settings.MESSAGING_CHANNEL_SENDERS[channel])
