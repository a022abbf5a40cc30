"""The profile's Telegram section once a chat is linked: the chat's name and "Disconnect
Telegram" (a POST with the CSRF token), which unlinks the user's chats and no one else's."""

import pytest
from django.test import Client

from inbox.services.contacts import link_contact
from telegram_channel.tests.conftest import CHAT_ID, message_update
from telegram_channel.tests.test_link_flow import OTHER_CHAT, contact_user_id
from telegram_channel.tests.test_linking import issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(client, user, bot_api, telegram_post, echo):
    client.force_login(user)
    telegram_post(message_update(1, f"/start {issue(client)}"))
    assert contact_user_id() == user.pk
    return user


def test_the_profile_shows_the_linked_chat_and_disconnects_it(client, linked, other_user, telegram_post):
    telegram_post(message_update(2, "Hi", chat_id=OTHER_CHAT))
    link_contact(channel="telegram", address=str(OTHER_CHAT), user=other_user)
    page = client.get("/app/profile/").content.decode()
    assert "<strong>Ann Lee</strong>" in page and "Disconnect Telegram" in page
    assert 'action="/app/telegram/disconnect/"' in page and "Connect Telegram</button>" not in page

    response = client.post("/app/telegram/disconnect/", follow=True)
    assert response.redirect_chain == [("/app/profile/", 302)]
    page = response.content.decode()
    assert "Telegram is disconnected" in page and "Connect Telegram</button>" in page and "Ann Lee" not in page
    assert contact_user_id(CHAT_ID) is None
    assert contact_user_id(OTHER_CHAT) == other_user.pk  # someone else's link stays


def test_in_polish(client, linked):
    page = client.get("/app/profile/", HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Odłącz Telegram" in page and "w czacie" in page
    page = client.post("/app/telegram/disconnect/", follow=True, HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Telegram został odłączony" in page and "Połącz Telegram" in page


def test_disconnect_needs_a_login_a_post_and_the_csrf_token(client, linked):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(linked)
    assert strict.post("/app/telegram/disconnect/").status_code == 403
    assert client.get("/app/telegram/disconnect/").status_code == 405
    client.logout()
    assert client.post("/app/telegram/disconnect/").status_code == 302
    assert contact_user_id() == linked.pk
