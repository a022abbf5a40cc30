"""A Telegram message stored while the broker was down is answered by the sweeper over Telegram,
never over SMS."""

import pytest

from messaging.enums import ReplyState
from messaging.models import Message
from telegram_channel.tests.conftest import message_update, texts_sent

pytestmark = pytest.mark.django_db


def test_the_sweeper_answers_over_telegram(
    telegram_post, bot_api, echo, fake_twilio, django_capture_on_commit_callbacks
):
    from inbox.tasks import sweep_unanswered_inbound

    telegram_post(message_update(1, "Anyone?"), broker_down=True)  # on_commit never ran: no task
    message = Message.objects.get(channel="telegram", external_id="1")
    assert message.reply_state == ReplyState.PENDING and bot_api.sent == []
    Message.objects.filter(pk=message.pk).update(updated_at=message.updated_at.replace(year=2020))

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_unanswered_inbound.delay().get() == 1

    assert texts_sent(bot_api) == ["Echo: Anyone?"]
    assert fake_twilio.requests == []
