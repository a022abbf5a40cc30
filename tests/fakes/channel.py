"""A channel of the tests only ("test", registered in the test settings): its sender records what it
is asked to send, so a test sees which channel's sender answered a message."""

from __future__ import annotations

from messaging.enums import Direction
from messaging.models import Message


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[Message] = []

    def reply(self, *, to_message: Message, text: str, **fields) -> Message:
        reply = Message.objects.create(
            conversation=to_message.conversation,
            channel=to_message.channel,
            direction=Direction.OUTBOUND,
            participant_number=to_message.participant_number,
            content=text,
            in_reply_to=to_message,
            status="sent",
            **fields,
        )
        self.sent.append(reply)
        return reply


sender = RecordingSender()
