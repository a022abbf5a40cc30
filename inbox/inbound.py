"""A message as a channel hands it to the inbox: the same value from every channel's webhook,
polling command or sync."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class InboundMessage:
    channel: str  # a name in settings.INBOX_CHANNELS
    external_id: str  # the channel's id of this delivery: unique per channel, the dedup key
    address: str  # the sender on this channel: a normalised number, a chat id
    text: str = ""
    display_name: str = ""
    language: str = ""  # the language the sender's app uses ("pl", "en-GB"), when the channel says
    media: list[dict] = field(default_factory=list)  # references only, stored as given
    received_at: datetime | None = None  # set for a message imported later; else now
    to_address: str = ""  # our own address on the channel, when it has one
    from_address: str = ""  # the raw sender address as the channel wrote it ("whatsapp:+48..."); else `address`
    status: str = "received"
