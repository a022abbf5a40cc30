"""T2 `/twilio/status`'s UPDATE is compiled once per rank (core.statements): the statement and its
parameters are the ORM's for every rank, with and without an error, and the usual callback stays
two statements."""

import pytest
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from twilio_channel.enums import STATUS_RANKS, TERMINAL_STATUSES
from twilio_channel.models import MessageStatusEvent
from twilio_channel.services.statuses import _MOVE, _move_sql, _rank
from twilio_channel.tests.factories import OutboundMessageFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", [*STATUS_RANKS, *sorted(TERMINAL_STATUSES), "something-new"])
def test_the_compiled_update_is_the_orms_for_every_rank(status):
    now = timezone.now()
    for unsent in (True, False):
        for error in ({}, {"error": "Error code: 30003"}):
            for pk, sid in ((7, "SM" + "a" * 32), (123456789, "SM" + "b" * 32)):
                shape = (unsent, _rank(status))
                values = {"pk": pk, "sid": sid, "status": status, "now": now, **error}
                sql, params = _move_sql(DEFAULT_DB_ALIAS, shape, **values)
                assert _MOVE.sql(using=DEFAULT_DB_ALIAS, shape=shape, **values) == (sql, list(params))


@pytest.mark.django_db(transaction=True)  # autocommit, as production runs it (no savepoint for the INSERT)
def test_the_usual_callback_is_two_statements(twilio_post, django_assert_num_queries):
    message = OutboundMessageFactory(status="queued")
    form = {"MessageSid": message.twilio_sid, "MessageStatus": "sent"}
    with django_assert_num_queries(2):  # the guarded UPDATE, the event's INSERT
        assert twilio_post(f"/twilio/status?mid={message.pk}", form).status_code == 200
    message.refresh_from_db()
    assert message.status == "sent"
    assert list(MessageStatusEvent.objects.values_list("status", "message_id")) == [("sent", message.pk)]


def test_a_mid_beyond_any_key_names_no_row_and_the_sid_decides(twilio_post):
    message = OutboundMessageFactory(status="sent")
    form = {"MessageSid": message.twilio_sid, "MessageStatus": "delivered"}
    response = twilio_post(f"/twilio/status?mid={'9' * 20}", form)
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    message.refresh_from_db()
    assert message.status == "delivered"
    assert list(MessageStatusEvent.objects.values_list("status", "message_id")) == [("delivered", message.pk)]
