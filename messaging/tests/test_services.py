"""Service rules that the HTTP tests do not reach directly."""

import logging

import pytest
from django.core.exceptions import ValidationError

from core.exceptions import ForbiddenError, NotFoundError
from messaging.enums import Channel, ConversationKind, ReplyState
from messaging.models import Conversation, Message
from messaging.selectors.keys import pair_key
from messaging.services.conversations import ai_history_clear
from messaging.services.messages import message_delete, message_send, message_update

pytestmark = pytest.mark.django_db


def test_send_to_bot_creates_the_ai_conversation(user):
    message = message_send(sender=user, recipient_id=-1, content="hi", channel=Channel.API)
    conversation = message.conversation
    assert (conversation.key, conversation.kind, conversation.user_id) == (f"conv_-1_{user.pk}", "ai", user.pk)
    assert (message.reply_state, message.channel, message.direction) == (ReplyState.PENDING, "api", "internal")


def test_send_to_bot_can_be_refused(user):
    with pytest.raises(NotFoundError, match="Recipient not found"):
        message_send(sender=user, recipient_id=-1, content="hi", allow_bot=False)


def test_self_chat_is_a_direct_conversation_with_one_owner(user):
    conversation = message_send(sender=user, recipient_id=user.pk, content="me").conversation
    assert (conversation.kind, conversation.user_a_id, conversation.user_b_id) == ("direct", user.pk, user.pk)


def test_supplied_pair_key_of_your_own_pair_is_direct(user, other_user):
    key = pair_key(user.pk, other_user.pk)
    conversation = message_send(sender=other_user, recipient_id=user.pk, content="x", conversation_key=key).conversation
    assert conversation.kind == ConversationKind.DIRECT
    assert sorted([conversation.user_a_id, conversation.user_b_id]) == sorted([user.pk, other_user.pk])


def test_custom_conversation_records_its_creator(user, other_user):
    conversation = message_send(
        sender=user, recipient_id=other_user.pk, content="x", conversation_key="custom_conv_123"
    ).conversation
    assert (conversation.kind, conversation.user_a_id) == ("custom", user.pk)


def test_conversation_owner_is_a_member_without_messages(user, other_user):
    Conversation.objects.create(key="owned", kind="custom", user_a=user)
    message = message_send(sender=user, recipient_id=user.pk, content="x", conversation_key="owned")
    assert message.conversation.key == "owned"
    with pytest.raises(ForbiddenError, match="Not a member of this conversation"):
        message_send(sender=other_user, recipient_id=user.pk, content="x", conversation_key="owned")


def test_phone_conversations_are_closed_to_web_users(user):
    # The channels' key space is refused outright (issue 22), before membership is even looked at.
    Conversation.objects.create(key="phone:+48123456789", kind="phone", participant_number="+48123456789")
    with pytest.raises(ValidationError) as excinfo:
        message_send(sender=user, recipient_id=user.pk, content="x", conversation_key="phone:+48123456789")
    assert "reserved" in excinfo.value.message_dict["conversation_id"][0]
    assert not Message.objects.exists()


def test_conversation_key_length_is_checked(user):
    with pytest.raises(ValidationError) as excinfo:
        message_send(sender=user, recipient_id=user.pk, content="x", conversation_key="k" * 101)
    assert "conversation_id" in excinfo.value.message_dict


def test_content_cap(user):
    with pytest.raises(ValidationError) as excinfo:
        message_send(sender=user, recipient_id=user.pk, content="x" * 50_001)
    assert "content" in excinfo.value.message_dict
    assert not Message.objects.exists()


def test_last_message_at_tracks_the_newest_message(user, other_user):
    first = message_send(sender=user, recipient_id=other_user.pk, content="1")
    second = message_send(sender=other_user, recipient_id=user.pk, content="2")
    conversation = Conversation.objects.get()
    assert conversation.last_message_at == second.created_at > first.created_at


def test_ai_history_clear_sets_the_marker(user):
    message_send(sender=user, recipient_id=-1, content="hi")
    conversation = ai_history_clear(user=user)
    assert conversation.key == f"conv_-1_{user.pk}" and conversation.context_reset_at is not None
    assert Conversation.objects.count() == 1


def test_logs_carry_ids_not_content(user, other_user, caplog):
    secret = "my very private words"
    with caplog.at_level(logging.INFO, logger="messages"):
        message = message_send(sender=user, recipient_id=other_user.pk, content=secret)
        message_update(user=user, message_id=message.pk, content=secret + "!")
        message_delete(user=other_user, message_id=message.pk)
    assert {record.name for record in caplog.records} == {"messages"}
    assert len(caplog.records) == 3
    assert all(secret not in record.getMessage() for record in caplog.records)
