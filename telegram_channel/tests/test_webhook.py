"""POST /telegram/webhook: the secret header, bad bodies, and one row and one reply per update_id."""

import pytest
from django.test import Client

from messaging.models import Message
from telegram_channel.tests.conftest import CHAT_ID, WEBHOOK_SECRET, message_update, texts_sent
from tests.helpers import at_once

pytestmark = pytest.mark.django_db


def stored() -> list[str]:
    return list(Message.objects.filter(channel="telegram", direction="inbound").values_list("content", flat=True))


@pytest.mark.parametrize(
    ("configured", "sent", "status"),
    [
        (WEBHOOK_SECRET, None, 403),  # no header
        (WEBHOOK_SECRET, "wrong-secret", 403),
        (WEBHOOK_SECRET, WEBHOOK_SECRET[:-1], 403),
        (WEBHOOK_SECRET, "", 403),
        ("", "", 403),  # no secret set: everything refused
        ("", "anything", 403),
        (WEBHOOK_SECRET, WEBHOOK_SECRET, 200),
    ],
)
def test_the_secret_header_decides(telegram_post, settings, echo, bot_api, configured, sent, status):
    settings.TELEGRAM_WEBHOOK_SECRET = configured
    response = telegram_post(message_update(1), secret=sent)
    assert response.status_code == status
    assert stored() == (["Hello"] if status == 200 else [])
    assert texts_sent(bot_api) == (["Echo: Hello"] if status == 200 else [])


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"not json", "body"),
        (b"[" * 100_000, "body"),  # nested past the parser's recursion limit
        (b"[]", "update_id"),
        (b'{"message": {}}', "update_id"),
        (b'{"update_id": "7"}', "update_id"),
        (b'{"update_id": 7, "message": "hi"}', "message.chat"),
        (b'{"update_id": 7, "message": {"text": "hi"}}', "message.chat"),
    ],
)
def test_a_body_that_is_not_an_update_is_a_400_naming_the_field(telegram_post, raw, field):
    response = telegram_post(None, raw=raw)
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert stored() == []


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 8, "edited_message": message_update(8)["message"]},
        message_update(8, chat={"id": -100, "type": "group"}),
        message_update(8, **{"from": {"id": 9, "is_bot": True, "first_name": "Other bot"}}),
    ],
)
def test_an_update_we_do_not_take_is_acknowledged_and_not_stored(telegram_post, bot_api, update):
    assert telegram_post(update).status_code == 200
    assert stored() == [] and bot_api.sent == []


def test_a_redelivered_update_makes_one_row_and_one_reply(telegram_post, echo, bot_api):
    for _ in range(3):
        assert telegram_post(message_update(5, "Once only")).status_code == 200
    assert stored() == ["Once only"]
    assert texts_sent(bot_api) == ["Echo: Once only"]


def test_a_database_that_cannot_store_the_update_is_a_503_never_a_500(telegram_post, monkeypatch):
    from django.db import OperationalError
    from django.db.backends.base.base import BaseDatabaseWrapper

    def refuse(self, *args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", refuse)
    assert telegram_post(message_update(6)).status_code == 503


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_update_make_one_row_and_one_reply(bot_api, echo):
    def deliver() -> int:
        return (
            Client()
            .post(
                "/telegram/webhook",
                message_update(11, "Twice at once"),
                content_type="application/json",
                HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=WEBHOOK_SECRET,
            )
            .status_code
        )

    statuses = at_once([deliver] * 4)
    assert statuses == [200, 200, 200, 200]
    assert stored() == ["Twice at once"]
    assert texts_sent(bot_api, CHAT_ID) == ["Echo: Twice at once"]
