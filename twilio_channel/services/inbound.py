"""Inbound SMS and WhatsApp messages: Twilio's webhook form as the inbox's inbound message. The
inbox stores it and queues its answer (inbox.services.receive); one row per MessageSid."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from core.text import text_clean
from inbox.inbound import InboundMessage as InboxMessage
from inbox.services.receive import receive
from messaging.models import Message
from twilio_channel.addresses import channel_of, participant_number


@dataclass(frozen=True)
class InboundMessage:
    sid: str
    from_: str
    to: str
    body: str = ""
    status: str = "received"
    profile_name: str = ""
    media: list[dict] = field(default_factory=list)
    received_at: datetime | None = None  # set for a message imported later (the Twilio sync); else now

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> InboundMessage:
        """From Twilio's webhook form (already decoded: never the raw body). Every value is
        cleaned of what the database cannot store (a NUL): the message is kept, never refused."""

        def raw(name: str) -> str:
            return text_clean(form.get(name) or "")

        def value(name: str) -> str:
            return raw(name).strip()

        try:
            count = max(0, min(int(value("NumMedia") or 0), 10))
        except ValueError:
            count = 0
        media = [
            {"url": value(f"MediaUrl{n}"), "content_type": value(f"MediaContentType{n}")}
            for n in range(count)
            if value(f"MediaUrl{n}")
        ]
        return cls(
            sid=value("MessageSid") or value("SmsMessageSid") or value("SmsSid"),
            from_=value("From"),
            to=value("To"),
            body=raw("Body"),
            status=value("SmsStatus") or value("MessageStatus") or "received",
            profile_name=value("ProfileName"),
            media=media,
        )

    def for_inbox(self) -> InboxMessage:
        return InboxMessage(
            channel=channel_of(self.from_),
            external_id=self.sid,
            address=participant_number(self.from_),
            text=self.body,
            display_name=self.profile_name,
            media=self.media,
            received_at=self.received_at,
            to_address=self.to,
            from_address=self.from_,
            status=self.status,
        )


def inbound_receive(*, inbound: InboundMessage, answer: bool = True) -> tuple[Message, bool]:
    """Store one delivery and queue its reply; (message, created). See inbox.services.receive."""
    return receive(inbound.for_inbox(), answer=answer)
