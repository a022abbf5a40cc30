"""POST /messages in an existing thread: the conversation is found and touched by one UPDATE (on
PostgreSQL one statement that also inserts the message: the send shortcut, compared with the general
path in test_send_shortcut.py), the recipient's existence is proven by that thread, and a refused
send leaves the thread as it was."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from core.exceptions import ForbiddenError
from messaging.models import CONTENT_MAX_LENGTH, Conversation, Message
from messaging.selectors.keys import pair_key
from messaging.services.messages import message_send

pytestmark = pytest.mark.django_db


def send(client, **body):
    return client.post("/messages", {"content": "hi", **body}, format="json")


def statements_of(context) -> Counter[str]:
    """How many statements of each kind ran (transaction control left out): the count and kind are
    the point, not their order."""
    statements = [q["sql"].split()[0].upper() for q in context.captured_queries]
    return Counter(s for s in statements if s not in ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"))


def writes() -> dict[str, int]:
    """The statements that store a message in an existing direct thread."""
    return {"WITH": 1} if connection.vendor == "postgresql" else {"UPDATE": 1, "INSERT": 1}


def test_a_send_in_an_existing_thread_is_the_session_and_one_write(auth_client, user, other_user):
    send(auth_client, recipient_id=other_user.pk)  # creates the thread
    with CaptureQueriesContext(connection) as context:
        response = send(auth_client, recipient_id=other_user.pk)
    assert response.status_code == 201
    # the session, then the conversation's UPDATE and the message's INSERT (one statement on PostgreSQL)
    assert statements_of(context) == Counter({"SELECT": 1, **writes()})
    assert not any("accounts_user" in q["sql"] for q in context.captured_queries[1:])
    stored = Message.objects.get(pk=response.json()["id"])
    assert stored.conversation.last_message_at == stored.created_at


def test_a_send_in_an_existing_thread_stores_what_the_first_send_stored(user, other_user):
    first = message_send(sender=user, recipient_id=other_user.pk, content="first")  # the thread
    with CaptureQueriesContext(connection) as context:
        second = message_send(sender=other_user, recipient_id=user.pk, content="second", channel="api")
    assert statements_of(context) == Counter(writes())
    assert second.conversation.key == first.conversation.key
    assert second.conversation.last_message_at == second.created_at
    rows = {m.pk: model_to_dict(m) for m in Message.objects.filter(pk__in=[first.pk, second.pk])}
    for row in rows.values():
        for varying in ("id", "content", "sender_id", "recipient_id", "channel"):
            row.pop(varying)
    assert rows[second.pk] == rows[first.pk]
    stored = Message.objects.get(pk=second.pk)
    assert (stored.content, stored.sender_id, stored.recipient_id, stored.channel) == (
        "second",
        other_user.pk,
        user.pk,
        "api",
    )
    assert stored.created_at == second.created_at and stored.updated_at >= stored.created_at
    assert Conversation.objects.get(pk=first.conversation_id).last_message_at == second.created_at


def test_a_note_to_oneself_and_the_derived_key_given_take_the_same_two_writes(user, other_user):
    message_send(sender=user, recipient_id=user.pk, content="note")
    message_send(sender=user, recipient_id=other_user.pk, content="a")
    with CaptureQueriesContext(connection) as context:
        note = message_send(sender=user, recipient_id=user.pk, content="again")
        given = message_send(
            sender=user,
            recipient_id=other_user.pk,
            content="b",
            conversation_key=pair_key(user.pk, other_user.pk),
        )
    assert statements_of(context) == Counter(writes()) + Counter(writes())
    assert note.conversation.key == pair_key(user.pk, user.pk)
    assert Message.objects.filter(conversation=given.conversation).count() == 2


def test_too_long_content_in_an_existing_thread_is_refused_and_stores_nothing(auth_client, user, other_user):
    send(auth_client, recipient_id=other_user.pk)
    conversation = Conversation.objects.get(key=pair_key(user.pk, other_user.pk))
    before = conversation.last_message_at
    too_long = "x" * (CONTENT_MAX_LENGTH + 1)

    response = send(auth_client, recipient_id=other_user.pk, content=too_long)
    assert response.status_code == 400
    assert list(response.json()["detail"]) == ["content"]
    with pytest.raises(DjangoValidationError) as refused:  # the service itself, below the serializer
        message_send(sender=user, recipient_id=other_user.pk, content=too_long)
    assert list(refused.value.message_dict) == ["content"]
    conversation.refresh_from_db()
    assert conversation.last_message_at == before
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_the_thread_moves_to_the_new_message_and_never_back(user, other_user):
    first = message_send(sender=user, recipient_id=other_user.pk, content="a")
    second = message_send(sender=other_user, recipient_id=user.pk, content="b")
    assert second.conversation_id == first.conversation_id
    assert second.conversation.last_message_at == second.created_at
    assert Conversation.objects.get(pk=first.conversation_id).last_message_at == second.created_at

    later = timezone.now() + timedelta(hours=1)
    Conversation.objects.filter(pk=first.conversation_id).update(last_message_at=later)
    message_send(sender=user, recipient_id=other_user.pk, content="c")
    assert Conversation.objects.get(pk=first.conversation_id).last_message_at == later


def test_a_deleted_recipient_of_an_existing_thread_is_not_found(auth_client, user):
    gone = UserFactory()
    message_send(sender=user, recipient_id=gone.pk, content="a")
    conversation = Conversation.objects.get(key=pair_key(user.pk, gone.pk))
    before = conversation.last_message_at
    gone_id = gone.pk
    gone.delete()  # the thread stays, its user column nulled

    response = send(auth_client, recipient_id=gone_id)
    assert (response.status_code, response.json()) == (404, {"detail": "Recipient not found"})
    conversation.refresh_from_db()
    assert conversation.last_message_at == before
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_a_refused_send_leaves_the_thread_untouched(user, other_user):
    third = UserFactory()
    message = message_send(sender=other_user, recipient_id=third.pk, content="a")
    before = message.conversation.last_message_at
    key = message.conversation.key  # the thread of two other users

    with pytest.raises(ForbiddenError):
        message_send(sender=user, recipient_id=other_user.pk, content="x", conversation_key=key)
    assert Conversation.objects.get(pk=message.conversation_id).last_message_at == before


def test_a_stored_message_is_the_row_save_would_write_and_signals_still_fire(auth_client, user, other_user):
    """The prepared INSERT (core.db.row_insert) keeps save()'s contract: defaults and auto_now
    filled, the key read back, pre_save and post_save sent to whoever listens."""
    from django.db.models.signals import post_save, pre_save

    seen = []

    def pre(sender, instance, raw, **kwargs):
        seen.append(("pre", instance.pk, raw))

    def post(sender, instance, created, **kwargs):
        seen.append(("post", instance.pk, created))

    pre_save.connect(pre, sender=Message)
    post_save.connect(post, sender=Message)
    try:
        response = send(auth_client, recipient_id=other_user.pk, content="saved like save()")
    finally:
        pre_save.disconnect(pre, sender=Message)
        post_save.disconnect(post, sender=Message)

    assert response.status_code == 201
    stored = Message.objects.get(pk=response.json()["id"])
    assert seen == [("pre", None, False), ("post", stored.pk, True)]
    assert (stored.content, stored.sender_id, stored.recipient_id, stored.media) == (
        "saved like save()",
        user.pk,
        other_user.pk,
        [],
    )
    assert stored.updated_at >= stored.created_at
    assert stored.conversation.last_message_at == stored.created_at
