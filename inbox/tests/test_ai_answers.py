"""The AI's answer to a message of a channel other than Twilio's goes back over that channel (the
orchestrator's turn stores it through messaging's replier, which is the inbox)."""

import pytest

from accounts.tests.factories import UserFactory
from inbox.services.contacts import link_contact
from messaging.enums import ReplyState
from orchestrator.models import AIConfig
from twilio_channel.models import OutboundSend

pytestmark = pytest.mark.django_db


def test_a_linked_chats_message_gets_the_ais_answer_over_its_channel(deliver, recorded, fake_llm, settings):
    ann = UserFactory()
    link_contact(channel="test", address="chat-1", user=ann)
    fake_llm.reply("Hello Ann.")

    message, _ = deliver("Hi", address="chat-1")

    message.refresh_from_db()
    assert message.sender_id == ann.pk
    assert message.reply_state == ReplyState.DONE
    assert [reply.content for reply in recorded.sent] == ["Hello Ann."]
    assert recorded.sent[0].channel == "test"
    assert not OutboundSend.objects.exists()  # nothing went to Twilio


def test_with_the_ai_on_a_stranger_is_answered_over_its_channel_too(deliver, recorded, fake_llm):
    AIConfig.objects.update_or_create(pk=1, defaults={"enabled": True, "target_number": "+48123456789"})
    fake_llm.reply("Hello guest.")

    deliver("Hi", address="chat-2")

    assert [reply.content for reply in recorded.sent] == ["Hello guest."]
