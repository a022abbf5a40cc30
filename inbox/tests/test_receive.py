"""The inbox's receive and answer for a channel other than Twilio's (the test channel): dedup by
(channel, external id), the contact, the channel's own words, media it cannot read, the mode
commands, and the answer over the message's own channel."""

import pytest

from accounts.tests.factories import UserFactory
from inbox.enums import OptOutSource
from inbox.models import Contact
from inbox.services.answer import MEDIA_UNSUPPORTED
from inbox.services.contacts import contact_user, link_contact
from messaging.enums import ConversationMode, Direction, ReplyState
from messaging.models import Conversation, Message

pytestmark = pytest.mark.django_db


def texts(recorded) -> list[str]:
    return [message.content for message in recorded.sent]


def test_a_message_is_stored_with_its_contact_and_answered_over_its_channel(deliver, recorded):
    message, created = deliver("Hello", display_name="Ann", external_id="u1")

    assert created
    message.refresh_from_db()
    assert (message.channel, message.external_id, message.participant_number) == ("test", "u1", "chat-1")
    assert message.reply_state == ReplyState.DONE
    contact = Contact.objects.get(channel="test", address="chat-1")
    assert contact.display_name == "Ann"
    assert contact.last_inbound_at is not None
    assert texts(recorded) == ["Echo: Hello"]
    reply = recorded.sent[0]
    assert (reply.direction, reply.channel, reply.status, reply.external_id) == (
        Direction.OUTBOUND,
        "test",
        "sent",
        f"test-{reply.pk}",
    )
    assert reply.in_reply_to_id == message.pk


def test_a_redelivery_is_one_row_and_one_answer(deliver, recorded):
    first, created = deliver("Hello", external_id="u7")
    again, created_again = deliver("Hello", external_id="u7")

    assert created and not created_again
    assert again.pk == first.pk
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1
    assert texts(recorded) == ["Echo: Hello"]


def test_the_same_external_id_on_another_channel_is_another_message(deliver, recorded):
    deliver("Hello", external_id="SM1")
    Message.objects.filter(channel="test").update(channel="sms")  # as if Twilio had used that id

    _, created = deliver("Hello", external_id="SM1")

    assert created


def test_the_opt_out_word_stops_answers_and_sends_until_the_opt_in_word(deliver, recorded):
    deliver("/stop")
    assert recorded.sent == []
    contact = Contact.objects.get(channel="test", address="chat-1")
    assert contact.opted_out and contact.opt_out_source == OptOutSource.KEYWORD

    deliver("Hello?")
    assert recorded.sent == []  # an opted-out contact gets nothing

    deliver("/START")
    contact.refresh_from_db()
    assert not contact.opted_out
    assert recorded.sent == []  # opting back in is not answered
    deliver("Hello again")
    assert texts(recorded) == ["Echo: Hello again"]


def test_the_help_word_gets_the_channels_help_text(deliver, recorded):
    deliver("/help")
    deliver("/start")  # a first message of a chat: not opted out, so the help text too
    assert texts(recorded) == ["Write to me.", "Write to me."]


def test_media_alone_on_a_text_only_channel_is_told_so(deliver, recorded):
    message, _ = deliver("", media=[{"kind": "photo", "ref": "file-1"}])

    message.refresh_from_db()
    assert message.media == [{"kind": "photo", "ref": "file-1"}]
    assert message.num_media == 1
    # Longer than the test channel's 50 characters: sent as two parts, in order.
    assert " ".join(text.split(") ", 1)[1] for text in texts(recorded)) == str(MEDIA_UNSUPPORTED)
    assert texts(recorded)[0].startswith("(1/2) ")


def test_human_and_bot_switch_the_mode_as_on_sms(deliver, recorded):
    deliver("human")
    conversation = Conversation.objects.get(messages__channel="test", messages__direction=Direction.INBOUND)
    assert conversation.mode == ConversationMode.HUMAN
    deliver("Anyone?")  # staff answer in human mode
    deliver("bot")
    conversation.refresh_from_db()
    assert conversation.mode == ConversationMode.AI
    # The two acknowledgements only (each in parts: longer than the test channel takes).
    answered = {reply.in_reply_to.content for reply in recorded.sent}
    assert answered == {"human", "bot"}


def test_a_linked_chat_speaks_for_its_user_and_an_unlinked_one_for_nobody(deliver, recorded):
    ann = UserFactory()
    deliver("Hi", address="chat-9")
    stranger = Contact.objects.get(channel="test", address="chat-9")
    assert contact_user(stranger) is None
    assert Message.objects.get(external_id="u1").sender_id is None

    contact = link_contact(channel="test", address="chat-9", user=ann)

    assert contact_user(contact) == ann
    message, _ = deliver("Hi again", address="chat-9")
    assert message.sender_id == ann.pk


def test_a_link_does_not_make_a_phone_contact_speak_for_the_user():
    ann = UserFactory(phone_number="+48111222333", phone_verified=False)
    contact = link_contact(channel="sms", address="+48111222333", user=ann)
    assert contact_user(contact) is None  # a phone channel needs the verified number


def test_a_chat_of_another_channel_is_never_an_sms_numbers_thread(deliver, recorded):
    message, _ = deliver("Hi", address="+48111222333")
    assert message.conversation.key == "test:+48111222333"  # not "phone:+48111222333", the SMS thread
