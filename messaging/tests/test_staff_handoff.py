"""What the staff panel reads and writes in messaging (CONTRACT §8.5): the handoff inbox, a staff
member's answer in a user's AI thread, and the daily AI token report of the admin."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.tests.factories import UserFactory
from core.exceptions import ApplicationError, ForbiddenError, NotFoundError
from messaging.enums import ConversationKind, ConversationMode, Direction
from messaging.models import Conversation, Message
from messaging.selectors.handoff import handoff_conversation_list
from messaging.selectors.history import ai_history
from messaging.selectors.keys import ai_conversation_key
from messaging.selectors.usage import ai_token_usage_daily
from messaging.services.messages import staff_message_send

pytestmark = pytest.mark.django_db


def ai_thread(user, mode=ConversationMode.HUMAN) -> Conversation:
    return Conversation.objects.create(
        key=ai_conversation_key(user_id=user.pk), kind=ConversationKind.AI, user=user, mode=mode
    )


def test_the_inbox_lists_human_mode_conversations_longest_waiting_first_then_answered():
    ada, bob, cyd = UserFactory(), UserFactory(), UserFactory()
    old, new, answered = ai_thread(ada), ai_thread(bob), ai_thread(cyd)
    ai_thread(UserFactory(), mode=ConversationMode.AI)  # not handed over: not listed
    now = timezone.now()
    Message.objects.create(conversation=new, sender_id=bob.pk, recipient_id=-1, content="b")
    Message.objects.create(conversation=old, sender_id=ada.pk, recipient_id=-1, content="a")
    Message.objects.create(conversation=answered, sender_id=cyd.pk, recipient_id=-1, content="c")
    Message.objects.create(conversation=answered, sender_id=-1, recipient_id=cyd.pk, content="answer")
    Message.objects.filter(content="a").update(created_at=now - timedelta(hours=2))
    Message.objects.filter(content="b").update(created_at=now - timedelta(hours=1))
    phone = Conversation.objects.create(key="phone:+48123456789", kind=ConversationKind.PHONE, mode="human")
    Message.objects.create(conversation=phone, direction=Direction.INBOUND, content="sms", channel="sms")
    Message.objects.filter(content="sms").update(created_at=now - timedelta(minutes=30))

    rows = handoff_conversation_list(limit=10)
    assert [row.conversation for row in rows] == [old, new, phone, answered]
    assert rows[0].waiting_since == now - timedelta(hours=2)
    assert rows[-1].waiting_since is None and rows[-1].last_answer_at is not None
    assert [row.total_messages for row in rows] == [1, 1, 1, 2]


def test_a_staff_answer_reaches_the_user_and_is_an_assistant_turn_later():
    staff, person = UserFactory(is_superuser=True), UserFactory()
    thread = ai_thread(person)
    Message.objects.create(conversation=thread, sender_id=person.pk, recipient_id=-1, content="a human please")
    answer = staff_message_send(staff=staff, conversation_id=thread.pk, content="I am here.")
    assert (answer.sender_id, answer.recipient_id, answer.reply_state) == (staff.pk, person.pk, "none")
    thread.refresh_from_db()
    assert thread.last_message_at == answer.created_at
    assert ai_history(conversation=thread)[-1] == {"role": "assistant", "content": "I am here."}
    assert handoff_conversation_list(limit=5)[0].waiting_since is None


def test_only_staff_answer_and_only_in_an_ai_thread():
    person = UserFactory()
    thread = ai_thread(person)
    with pytest.raises(ForbiddenError):
        staff_message_send(staff=person, conversation_id=thread.pk, content="x")
    staff = UserFactory(is_superuser=True)
    with pytest.raises(NotFoundError):
        staff_message_send(staff=staff, conversation_id=999999, content="x")
    direct = Conversation.objects.create(key="conv_1_2", kind=ConversationKind.DIRECT)
    with pytest.raises(ApplicationError, match="Only a user's conversation with the AI assistant"):
        staff_message_send(staff=staff, conversation_id=direct.pk, content="x")
    with pytest.raises(ValidationError):
        staff_message_send(staff=staff, conversation_id=thread.pk, content="   ")
    assert not Message.objects.exists()


def test_the_token_report_sums_each_model_per_day():
    now = timezone.now()
    rows = [
        ("gpt-4o-mini", 10, 5, now),
        ("gpt-4o-mini", 20, 7, now),
        ("gpt-4o", 100, None, now),
        ("gpt-4o-mini", 1, 1, now - timedelta(days=1)),
        ("", 999, 999, now),  # no model: not an AI reply
    ]
    for model, prompt, completion, at in rows:
        message = Message.objects.create(content="r", model=model, prompt_tokens=prompt, completion_tokens=completion)
        Message.objects.filter(pk=message.pk).update(created_at=at)
    report = ai_token_usage_daily()
    assert [(r.day, r.model, r.replies, r.prompt_tokens, r.completion_tokens) for r in report] == [
        (now.date(), "gpt-4o", 1, 100, 0),
        (now.date(), "gpt-4o-mini", 2, 30, 12),
        ((now - timedelta(days=1)).date(), "gpt-4o-mini", 1, 1, 1),
    ]
    assert [r.model for r in ai_token_usage_daily(since=now - timedelta(hours=1))] == ["gpt-4o", "gpt-4o-mini"]


def test_the_admin_shows_the_token_report_and_links_it(admin_client):
    Message.objects.create(content="r", model="gpt-4o-mini", prompt_tokens=12, completion_tokens=3, agent="general")
    changelist = admin_client.get("/admin/messaging/message/")
    assert "/admin/messaging/message/token-usage/" in changelist.content.decode()
    assert "gpt-4o-mini" in changelist.content.decode()  # the model and tokens of each reply
    page = admin_client.get("/admin/messaging/message/token-usage/").content.decode()
    assert "<td>gpt-4o-mini</td><td>1</td>\n        <td>12</td><td>3</td><td>15</td>" in page


def test_the_token_report_is_for_the_admin_only(client, user):
    client.force_login(user)
    assert client.get("/admin/messaging/message/token-usage/").status_code == 302  # the admin's login
