"""manage.py telegram_poll: getUpdates into the webhook's own pipeline."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from messaging.models import Message
from telegram_channel.tests.conftest import message_update, texts_sent

pytestmark = pytest.mark.django_db


def poll(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        call_command("telegram_poll", "--once", stdout=StringIO())


def rows(update_id: int) -> list[tuple]:
    inbound = Message.objects.get(channel="telegram", external_id=str(update_id))
    replies = Message.objects.filter(in_reply_to=inbound).values_list("content", "status", "channel")
    return [(inbound.content, inbound.participant_number, inbound.reply_state), *replies]


def test_polling_and_the_webhook_give_the_same_result(telegram_post, bot_api, echo, django_capture_on_commit_callbacks):
    telegram_post(message_update(1, "Same pipeline", chat_id=1001))
    bot_api.queue_update(message_update(2, "Same pipeline", chat_id=1002))
    bot_api.queue_update(message_update(1, "Same pipeline", chat_id=1001))  # already had by the webhook
    poll(django_capture_on_commit_callbacks)

    by_webhook, by_poll = rows(1), rows(2)
    assert by_webhook[1:] == by_poll[1:] and by_webhook[0][::2] == by_poll[0][::2]
    assert texts_sent(bot_api, 1001) == texts_sent(bot_api, 1002) == ["Echo: Same pipeline"]
    # the updates handled are confirmed: the last call asks from the next one
    assert bot_api.called("getUpdates")[-1]["offset"] == 3


def test_a_bad_update_is_skipped_and_confirmed(bot_api, echo, django_capture_on_commit_callbacks):
    bot_api.queue_update({"update_id": 4, "message": "not a message"})
    bot_api.queue_update(message_update(5, "After the bad one"))
    poll(django_capture_on_commit_callbacks)
    assert texts_sent(bot_api) == ["Echo: After the bad one"]
    assert bot_api.called("getUpdates")[-1]["offset"] == 6


def test_polling_while_a_webhook_is_set_says_what_to_do(bot_api):
    bot_api.fail("getUpdates", 409, "Conflict: can't use getUpdates method while webhook is active")
    with pytest.raises(CommandError, match="telegram_webhook delete"):
        call_command("telegram_poll", "--once", stdout=StringIO())
