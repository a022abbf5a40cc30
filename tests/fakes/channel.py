"""A channel of the tests only ("test", registered in the test settings): its sender records what
it is asked to send and fails as a test tells it, so a test sees which channel's sender answered a
message and how the inbox's delivery takes each error."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from inbox.channels import Channel
from inbox.errors import ChannelError
from messaging.models import Message


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[Message] = []
        self.errors: list[ChannelError] = []  # raised one per send, before any is sent

    def reset(self) -> None:
        self.sent.clear()
        self.errors.clear()

    def send(self, message: Message) -> str:
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append(message)
        return f"test-{message.pk}"


sender = RecordingSender()

TEST = Channel(
    name="test",
    label=_("Test"),
    max_length=50,
    sender="tests.fakes.channel.sender",
    opt_out_words=frozenset({"/stop"}),
    opt_in_words=frozenset({"/start"}),
    help_words=frozenset({"/help", "/start"}),
    help_text="Write to me.",
)
