"""The answer's task sends its reply itself once its transaction commits (issue 29), through the
inbox delivery's claim: a transient failure hands it to the send task as its first retry (after
what Telegram asked to wait), and each reply goes out once."""

import pytest

from messaging.models import Message
from telegram_channel.tests.conftest import message_update, texts_sent

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued_sends(monkeypatch):
    """The options of every inbox send task queued (the eager task still runs)."""
    from inbox.tasks import send_message
    from tests.helpers import queued_calls

    return queued_calls(monkeypatch, send_message)


def reply_to(update_id: int) -> Message:
    return Message.objects.get(in_reply_to__channel="telegram", in_reply_to__external_id=str(update_id))


def test_the_answer_task_sends_its_reply_itself(telegram_post, echo, bot_api, queued_sends):
    telegram_post(message_update(1, "Hello there"))

    assert texts_sent(bot_api) == ["Echo: Hello there"]
    assert reply_to(1).status == "sent"
    assert queued_sends == []  # no send task: the answer's task sent it


def test_a_429_hands_the_reply_to_the_send_task_after_telegrams_wait(
    telegram_post, echo, bot_api, queued_sends, settings
):
    settings.INBOX_SEND_RETRY_AFTER_MAX_S = 30
    bot_api.fail("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)

    telegram_post(message_update(2, "Busy?"))

    reply = reply_to(2)
    [(args, options)] = queued_sends
    assert args == (reply.pk,) and options == {"countdown": 7, "retries": 1}
    # The stand-in notes every request: the refused one, then the retry that went through.
    assert (reply.status, texts_sent(bot_api)) == ("sent", ["Echo: Busy?", "Echo: Busy?"])


def test_a_send_claims_its_row_and_reads_it_in_one_statement_and_never_reads_it_back(
    bot_api, django_capture_on_commit_callbacks
):
    """The send task's statements: the claim returning the row (no second read); the contact's
    opt-out; the row `sent` and the next part released (if any) in one transaction, not read back."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from inbox.services.replies import channel_send
    from inbox.tasks import send_message
    from telegram_channel.tests.conftest import CHAT_ID

    with django_capture_on_commit_callbacks(execute=False):  # its send task queued, not run
        message = channel_send(channel="telegram", address=str(CHAT_ID), text="Counted")
    with CaptureQueriesContext(connection) as queries:
        send_message.apply(args=[message.pk])

    statements = [query["sql"].split()[0] for query in queries.captured_queries]
    assert statements == ["UPDATE", "SELECT", "SAVEPOINT", "UPDATE", "SELECT", "RELEASE"], statements
    message.refresh_from_db()
    assert (message.status, texts_sent(bot_api)) == ("sent", ["Counted"])
