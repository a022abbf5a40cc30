"""Why a conversation went to a person (issue 27): every switch of mode is recorded with its reason
(messaging.ModeChange), and the handoff inbox shows the newest one."""

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from inbox.services.contacts import link_contact
from messaging.enums import ConversationMode
from messaging.models import Conversation, ModeChange

pytestmark = pytest.mark.django_db

HTML = {"HTTP_ACCEPT": "text/html"}


def reason_cell(html: str) -> str:
    start = html.index('<td class="handoff-reason"')
    return html[start : html.index("</td>", start)]


def test_a_contact_asking_for_a_person_is_listed_as_asked(staff_client, deliver, recorded):
    deliver("human", address="chat-1")

    html = staff_client.get("/?tab=handoff", **HTML).content.decode()

    cell = reason_cell(html)
    assert 'data-reason="asked"' in cell and "Asked for a person" in cell
    change = ModeChange.objects.get()
    assert (change.conversation.key, change.mode, change.reason, change.channel) == (
        "test:chat-1",
        ConversationMode.HUMAN,
        "asked",
        "test",
    )


def test_staff_taking_over_and_handing_back_are_recorded_in_order(staff_client, deliver, recorded):
    deliver("Hi", address="chat-1")
    staff_client.post("/chat/test:chat-1/mode", {"mode": "human"})
    html = staff_client.get("/?tab=handoff", HTTP_ACCEPT_LANGUAGE="pl", **HTML).content.decode()
    assert "Przejęta przez obsługę" in reason_cell(html)
    staff_client.post("/chat/test:chat-1/mode", {"mode": "human"})  # no change: nothing recorded
    staff_client.post("/chat/test:chat-1/mode", {"mode": "ai"})

    changes = list(ModeChange.objects.order_by("created_at", "id").values_list("mode", "reason"))
    assert changes == [("human", "staff"), ("ai", "staff")]
    assert Conversation.objects.get(key="test:chat-1").mode == ConversationMode.AI


def test_a_user_asking_for_a_person_in_the_web_thread_is_listed_as_asked(staff_client):
    person = UserFactory(username="ada")
    web = Client()
    web.force_login(person)
    response = web.post("/app/conversations/assistant/mode/", {"mode": "human"})
    assert response.status_code == 302, response.status_code

    html = staff_client.get("/?tab=handoff", **HTML).content.decode()

    assert "ada" in html
    assert 'data-reason="asked"' in reason_cell(html)
    assert ModeChange.objects.get().channel == "web"


def test_a_linked_users_request_over_a_channel_counts_for_that_channel(deliver, recorded, fake_llm):
    ann = UserFactory(username="ann")
    link_contact(channel="test", address="chat-7", user=ann)

    deliver("human", address="chat-7")  # answered in Ann's AI thread, but it came over the channel

    change = ModeChange.objects.get()
    assert change.conversation.user == ann
    assert (change.mode, change.reason, change.channel) == (ConversationMode.HUMAN, "asked", "test")
