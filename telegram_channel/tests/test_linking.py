"""The profile's "Connect Telegram": a one-time code and its deep link, stored only hashed."""

import re

import pytest

from telegram_channel.models import LinkCode
from telegram_channel.tests.bot_api import BOT_USERNAME

pytestmark = pytest.mark.django_db


def issue(client) -> str:
    response = client.post("/app/telegram/connect/")
    assert response.status_code == 200
    match = re.search(rf'href="https://t.me/{BOT_USERNAME}\?start=([A-Za-z0-9_-]{{22}})"', response.content.decode())
    assert match, response.content.decode()
    return match[1]


def test_the_profile_offers_connect_telegram(client, user):
    client.force_login(user)
    page = client.get("/app/profile/").content.decode()
    assert "Connect Telegram" in page and 'action="/app/telegram/connect/"' in page


def test_a_code_is_issued_with_the_bots_deep_link_and_stored_hashed(client, user, bot_api):
    client.force_login(user)
    code = issue(client)
    row = LinkCode.objects.get(user=user)
    assert code not in row.code_hash and row.used_at is None
    assert len(bot_api.called("getMe")) == 1
    assert issue(client) != code and len(bot_api.called("getMe")) == 1  # the username is cached
    assert LinkCode.objects.filter(user=user).count() == 1  # a new code replaces the unused one


def test_the_username_setting_spares_the_getme(client, user, bot_api, settings):
    settings.TELEGRAM_BOT_USERNAME = BOT_USERNAME
    client.force_login(user)
    issue(client)
    assert bot_api.called("getMe") == []


def test_the_page_needs_a_login_and_a_post(client, user, bot_api):
    assert client.post("/app/telegram/connect/").status_code == 302
    client.force_login(user)
    assert client.get("/app/telegram/connect/").status_code == 405
    assert not LinkCode.objects.exists()


def test_without_telegram_the_page_says_so(client, user, settings):
    settings.TELEGRAM_BOT_TOKEN = ""
    client.force_login(user)
    response = client.post("/app/telegram/connect/")
    assert response.status_code == 503 and b"not available" in response.content
