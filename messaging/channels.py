"""Who delivers a reply to a message that came from outside (SMS, WhatsApp, Telegram, ...).
Messaging stores the messages; the inbox, a layer above, sends each over its own channel.
`settings.MESSAGING_EXTERNAL_REPLIER` names it, so no module of messaging imports the inbox."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from messaging.keys import USER_CHANNELS

if TYPE_CHECKING:
    from messaging.models import Message


class ChannelSender(Protocol):
    def reply(self, *, to_message: Message, text: str, send_here: bool = False, **fields) -> Message:
        """Store the reply to `to_message` as an outbound row of its channel, sent once the
        transaction commits (or stored as failed when the channel refuses it): from the channel's
        send task, or `send_here`, from this process (the task that decided it). `fields` are
        extra Message fields (the agent, model and token usage of an AI reply)."""
        ...

    def burst_window(self, channel: str) -> float:
        """The channel's quiet window in seconds (one reply per burst); 0: every message its own."""
        ...

    def opted_out(self, message: Message) -> bool:
        """The contact of `message` opted out (a STOP, perhaps later in the same burst)."""
        ...


def channel_sender(channel: str) -> ChannelSender:
    """The replier of every external channel (the inbox dispatches by `to_message.channel`)."""
    return import_string(settings.MESSAGING_EXTERNAL_REPLIER)


def burst_window(channel: str) -> float:
    """Seconds a message of `channel` waits for the rest of its burst before it is answered (issue
    27): the web's and the API's is AI_BURST_WINDOW_WEB_S, an external channel's its own (the inbox
    knows it). 0: each message is answered on its own, at once."""
    if channel in USER_CHANNELS:
        return max(0.0, float(settings.AI_BURST_WINDOW_WEB_S))
    return channel_sender(channel).burst_window(channel)


def reply_refused(message: Message) -> bool:
    """No reply may go to `message`'s sender: a contact of an external channel who opted out (a
    STOP later in a burst included). The web's users never opt out."""
    return message.channel not in USER_CHANNELS and channel_sender(message.channel).opted_out(message)
