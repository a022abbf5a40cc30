import pytest
from django.test import Client

from messaging.enums import ConversationMode
from messaging.models import Conversation, Message
from messaging.services.messages import message_send

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def ai_exchange(user):
    prompt = message_send(sender=user, recipient_id=-1, content="hello bot", channel="web")
    reply = Message.objects.create(
        conversation=prompt.conversation,
        sender_id=-1,
        recipient_id=user.pk,
        content="hello human",
        in_reply_to=prompt,
        agent="general",
        model="gpt-test",
        prompt_tokens=42,
        completion_tokens=7,
    )
    return prompt, reply


def test_message_changelist_shows_the_model_and_token_usage(console, ai_exchange):
    response = console.get("/admin/messaging/message/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "gpt-test" in page and ">42<" in page and ">7<" in page


def test_message_detail_is_read_only(console, ai_exchange):
    _prompt, reply = ai_exchange
    response = console.get(f"/admin/messaging/message/{reply.pk}/change/")
    assert response.status_code == 200
    assert b'name="content"' not in response.content
    assert console.post(f"/admin/messaging/message/{reply.pk}/change/", {"content": "edited"}).status_code == 403
    reply.refresh_from_db()
    assert reply.content == "hello human"


def test_staff_hand_a_conversation_to_a_human_and_back(console, ai_exchange):
    conversation = ai_exchange[0].conversation
    url = "/admin/messaging/conversation/"
    response = console.post(url, {"action": "hand_to_human", "_selected_action": [conversation.pk]}, follow=True)
    assert response.status_code == 200
    assert Conversation.objects.get(pk=conversation.pk).mode == ConversationMode.HUMAN

    console.post(url, {"action": "hand_back_to_ai", "_selected_action": [conversation.pk]})
    assert Conversation.objects.get(pk=conversation.pk).mode == ConversationMode.AI


def test_conversation_page_lists_its_messages(console, ai_exchange):
    conversation = ai_exchange[0].conversation
    response = console.get(f"/admin/messaging/conversation/{conversation.pk}/change/")
    assert response.status_code == 200
    assert b"hello bot" in response.content and b"hello human" in response.content


def test_non_staff_cannot_open_the_console(client, user, ai_exchange):
    client.force_login(user)
    response = client.get("/admin/messaging/message/")
    assert response.status_code == 302
