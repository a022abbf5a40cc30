"""The staff side shows each conversation's channel (issue 25 point 4): the dashboard's table, the
chat view of any channel's thread (answered over that channel), the handoff inbox and the admin,
with a channel other than Twilio's (the test channel)."""

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from inbox.models import Contact
from messaging.enums import ConversationMode
from messaging.models import Conversation, Message
from twilio_channel.models import OutboundSend

pytestmark = pytest.mark.django_db

HTML = {"HTTP_ACCEPT": "text/html"}


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_dashboard_labels_each_messages_channel_and_opens_its_thread(staff_client, deliver, recorded):
    deliver("Hello from a chat", address="chat-1")

    html = page(staff_client.get("/?tab=messages", **HTML))

    assert "Hello from a chat" in html
    assert '<td class="text-nowrap message-channel">Test</td>' in html
    assert 'href="/chat/test:chat-1"' in html


def test_the_chat_view_shows_any_channels_thread_and_answers_over_it(
    staff_client, deliver, recorded, django_capture_on_commit_callbacks
):
    deliver("Hello from a chat", address="chat-1")
    recorded.reset()

    html = page(staff_client.get("/chat/test:chat-1", **HTML))
    assert "Hello from a chat" in html
    assert '<dd id="chat-channel">Test</dd>' in html
    assert "Twilio Console" not in html
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post("/chat/test:chat-1/reply", {"body": "Staff here"}, follow=True)

    assert "Queued to be sent over Test." in page(response)
    assert [message.content for message in recorded.sent] == ["Staff here"]
    sent = recorded.sent[0]
    assert (sent.channel, sent.participant_number, sent.status) == ("test", "chat-1", "sent")
    assert sent.conversation.key == "test:chat-1"
    assert sent.sender_id is not None
    assert not OutboundSend.objects.exists()  # never over Twilio


def test_a_reply_to_an_opted_out_chat_is_refused_in_words(staff_client, deliver, recorded):
    deliver("/stop", address="chat-1")

    response = staff_client.post("/chat/test:chat-1/reply", {"body": "Still there?"}, **HTML)

    assert response.status_code == 409
    assert "Recipient has opted out." in response.content.decode()
    assert recorded.sent == []
    assert Contact.objects.get(channel="test", address="chat-1").opted_out


def test_the_handoff_inbox_labels_the_channel_and_links_the_thread(staff_client, deliver, recorded):
    deliver("human", address="chat-1")
    assert Conversation.objects.get(key="test:chat-1").mode == ConversationMode.HUMAN

    html = page(staff_client.get("/?tab=handoff", **HTML))

    assert '<td class="handoff-channel">Test</td>' in html
    assert 'href="/chat/test:chat-1"' in html


def test_the_staff_take_a_chat_over_from_its_thread(staff_client, deliver, recorded):
    deliver("Hi", address="chat-1")
    staff_client.post("/chat/test:chat-1/mode", {"mode": "human"})
    assert Conversation.objects.get(key="test:chat-1").mode == ConversationMode.HUMAN
    recorded.reset()
    deliver("Anyone?", address="chat-1")
    assert recorded.sent == []  # staff answer now


def test_the_pages_speak_polish(staff_client, deliver, recorded):
    deliver("human", address="chat-1")
    chat = page(staff_client.get("/chat/test:chat-1", HTTP_ACCEPT_LANGUAGE="pl", **HTML))
    assert "<dt>Adres</dt>" in chat
    handoff = page(staff_client.get("/?tab=handoff", HTTP_ACCEPT_LANGUAGE="pl", **HTML))
    assert "Kanał" in handoff


def test_the_admin_labels_a_conversations_channel(deliver, recorded):
    admin = Client()
    admin.force_login(UserFactory(is_superuser=True, is_staff=True))
    deliver("Hi", address="chat-1")
    Message.objects.create(content="web")

    html = page(admin.get("/admin/messaging/conversation/"))
    contacts = page(admin.get("/admin/inbox/contact/"))

    assert "test:chat-1" in html
    assert "chat-1" in contacts
