"""Staff see a Telegram chat in the chat view and answer it over Telegram."""

import pytest

from telegram_channel.tests.conftest import CHAT_ID, message_update, texts_sent

pytestmark = pytest.mark.django_db
THREAD = f"/chat/telegram:{CHAT_ID}"


def test_staff_take_over_a_chat_and_answer_it_over_telegram(
    client, agent, telegram_post, bot_api, echo, fake_twilio, django_capture_on_commit_callbacks
):
    telegram_post(message_update(1, "human"))
    telegram_post(message_update(2, "My heater is broken"))
    client.force_login(agent)
    page = client.get(THREAD).content.decode()
    assert "My heater is broken" in page and "Telegram" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{THREAD}/reply", {"body": "A person here: on my way."})
    assert response.status_code == 302
    assert texts_sent(bot_api)[-1] == "A person here: on my way."
    assert fake_twilio.requests == []  # never over SMS
