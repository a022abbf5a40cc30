"""The message bodies the API builds without DRF's per-field machinery are MessageOutSerializer's,
byte for byte: the serializer stays what the OpenAPI schema describes."""

import json
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from core.lists import Window
from messaging.api import serializers as s
from messaging.models import Message
from messaging.selectors.lists import message_list
from messaging.tests.factories import MessageFactory

pytestmark = pytest.mark.django_db


def as_json(data) -> str:
    return json.dumps(data, ensure_ascii=False)


@pytest.fixture
def assorted(user, other_user) -> list[Message]:
    """A user-to-user message, one from outside (no sender, no conversation, a delivery status),
    one to the bot, and one with a microsecond-free timestamp."""
    rows = [
        MessageFactory(sender=user, recipient=other_user, content="héllo \u2028 <b>"),
        MessageFactory(
            sender=None, recipient=user, conversation=None, channel="sms", direction="inbound", status="received"
        ),
        MessageFactory(sender=user, recipient_id=-1, conversation__key=f"conv_-1_{user.pk}", conversation__kind="ai"),
        MessageFactory(sender=other_user, recipient=user, is_read=True),
    ]
    Message.objects.filter(pk=rows[-1].pk).update(created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    return rows


def test_list_rows_are_the_serializers_output(assorted, user):
    window = Window(skip=0, limit=50)
    models = message_list(user_id=user.pk, window=window)
    rows = message_list(user_id=user.pk, window=window, columns=s.MESSAGE_OUT_COLUMNS)
    assert len(rows) == len(assorted)
    assert as_json(s.message_rows_out(rows)) == as_json(s.MessageOutSerializer(models, many=True).data)


def test_one_message_is_the_serializers_output(assorted):
    for message in Message.objects.select_related("conversation").order_by("id"):
        assert as_json(s.message_out(message)) == as_json(s.MessageOutSerializer(message).data)


def test_times_follow_the_current_time_zone_as_drf_does(assorted, user):
    message = Message.objects.select_related("conversation").get(pk=assorted[-1].pk)
    with timezone.override("Europe/Madrid"):
        out, expected = s.message_out(message), s.MessageOutSerializer(message).data
    assert out["created_at"] == expected["created_at"] == "2026-01-02T04:04:05+01:00"


def test_the_api_lists_and_creates_with_the_same_bodies(auth_client, assorted, user, other_user):
    listed = auth_client.get("/messages").json()
    models = message_list(user_id=user.pk, window=Window(skip=0, limit=100))
    assert listed == json.loads(as_json(s.MessageOutSerializer(models, many=True).data))
    response = auth_client.post("/messages", {"recipient_id": other_user.pk, "content": "new"}, format="json")
    assert response.status_code == 201
    stored = Message.objects.select_related("conversation").get(pk=response.json()["id"])
    assert response.json() == json.loads(as_json(s.MessageOutSerializer(stored).data))
