"""The bot blocked and unblocked (`my_chat_member` updates): the chat is opted out at once, so
nothing is sent in vain, and back in when unblocked (a /stop stays a /stop)."""

import pytest

from messaging.models import Message
from telegram_channel.tests.conftest import CHAT_ID, message_update, texts_sent

pytestmark = pytest.mark.django_db


def member_update(update_id: int, status: str, *, old: str = "member", chat_type: str = "private") -> dict:
    person = {"id": CHAT_ID, "is_bot": False, "first_name": "Ann"}
    bot = {"id": 123456, "is_bot": True, "first_name": "Bot", "username": "ai_messaging_test_bot"}
    return {
        "update_id": update_id,
        "my_chat_member": {
            "chat": {"id": CHAT_ID, "type": chat_type, "first_name": "Ann"},
            "from": person,
            "date": 1760000000,
            "old_chat_member": {"user": bot, "status": old},
            "new_chat_member": {"user": bot, "status": status},
        },
    }


def opted_out() -> bool | None:
    from inbox.models import Contact

    return Contact.objects.filter(channel="telegram", address=str(CHAT_ID)).values_list("opted_out", flat=True).first()


def staff_send(text: str) -> Message:
    from inbox.services.replies import channel_send

    return channel_send(channel="telegram", address=str(CHAT_ID), text=text)


def test_blocking_opts_out_and_unblocking_opts_back_in(
    telegram_post, bot_api, echo, django_capture_on_commit_callbacks
):
    telegram_post(message_update(1, "Hello"))
    assert telegram_post(member_update(2, "kicked")).status_code == 200
    assert opted_out() is True
    with django_capture_on_commit_callbacks(execute=True):
        assert staff_send("Anyone there?").status == "failed"  # refused locally: no sendMessage
    assert texts_sent(bot_api) == ["Echo: Hello"]

    telegram_post(member_update(3, "member", old="kicked"))
    assert opted_out() is False
    telegram_post(message_update(4, "Back"))
    assert texts_sent(bot_api) == ["Echo: Hello", "Echo: Back"]
    assert not Message.objects.filter(external_id__in=["2", "3"]).exists()  # not messages


def test_unblocking_keeps_a_stop(telegram_post, bot_api, echo):
    telegram_post(message_update(1, "/stop"))
    telegram_post(member_update(2, "kicked"))
    telegram_post(member_update(3, "member", old="kicked"))
    assert opted_out() is True


def test_a_groups_member_update_is_acknowledged_only(telegram_post, bot_api):
    assert telegram_post(member_update(1, "kicked", chat_type="group")).status_code == 200
    assert opted_out() is None


def test_polling_asks_for_member_updates_too(bot_api, echo, django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core.management import call_command

    bot_api.queue_update(member_update(7, "kicked"))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("telegram_poll", "--once", stdout=StringIO())
    assert bot_api.called("getUpdates")[0]["allowed_updates"] == ["message", "my_chat_member"]
    assert opted_out() is True
