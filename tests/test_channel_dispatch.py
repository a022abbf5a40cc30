"""Every channel answers its own messages: a reply to a message of one channel goes out through that
channel's sender, never another's (issue 25: the sweeper once answered every channel over Twilio)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.tasks import sweep_unanswered_inbound
from messaging.enums import ConversationKind, Direction, ReplyState
from messaging.models import Conversation, Message
from tests.fakes.channel import sender as test_sender

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _recorded():
    test_sender.reset()
    yield
    test_sender.reset()


def _stale_inbound(text: str) -> Message:
    """An inbound message of the test channel whose answer was never queued (the broker was down)."""
    conversation = Conversation.objects.create(key="test:chat-1", kind=ConversationKind.CUSTOM)
    long_ago = timezone.now() - timedelta(hours=1)
    message = Message.objects.create(
        conversation=conversation,
        channel="test",
        direction=Direction.INBOUND,
        participant_number="chat-1",
        content=text,
        reply_state=ReplyState.PENDING,
    )
    Message.objects.filter(pk=message.pk).update(created_at=long_ago, updated_at=long_ago)
    return message


def test_the_sweeper_answers_a_message_over_its_own_channel(fake_twilio, settings, django_capture_on_commit_callbacks):
    settings.CHAT_MODE = "echo"
    settings.UNKNOWN_CONTACT_REPLY = "chat"  # a stranger gets the chat engine's echo
    message = _stale_inbound("Anyone there?")

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_unanswered_inbound.delay().get() == 1

    assert [reply.content for reply in test_sender.sent] == ["Echo: Anyone there?"]
    assert test_sender.sent[0].in_reply_to_id == message.pk
    assert fake_twilio.requests == []  # never over SMS
    message.refresh_from_db()
    assert message.reply_state == ReplyState.DONE
