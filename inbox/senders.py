"""What a channel's sender is to the inbox's delivery (inbox.services.delivery)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from messaging.models import Message


class Sender(Protocol):
    def send(self, message: Message) -> str:
        """Send one stored outbound row (`participant_number` is the address, `content` the text,
        already split to the channel's length) and return the channel's id of the sent message.
        Raise inbox.errors.TransientChannelError (retried), PermanentChannelError (failed at
        once) or OptedOutError (failed, and the contact opted out)."""
        ...
