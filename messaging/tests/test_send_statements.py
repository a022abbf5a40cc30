"""POST /messages in an existing thread: the conversation is found and touched by one UPDATE, the
recipient's existence is proven by that thread, and a refused send leaves the thread as it was."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from core.exceptions import ForbiddenError
from messaging import services
from messaging.models import Conversation, Message

pytestmark = pytest.mark.django_db


def send(client, **body):
    return client.post("/messages", {"content": "hi", **body}, format="json")


def test_a_send_in_an_existing_thread_is_three_statements(auth_client, user, other_user):
    send(auth_client, recipient_id=other_user.pk)  # creates the thread
    with CaptureQueriesContext(connection) as context:
        response = send(auth_client, recipient_id=other_user.pk)
    assert response.status_code == 201
    statements = [q["sql"].split()[0].upper() for q in context.captured_queries]
    # the session, then (inside the transaction) the conversation's UPDATE and the message's INSERT
    assert [s for s in statements if s not in ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT")] == [
        "SELECT",
        "UPDATE",
        "INSERT",
    ]
    assert not any("accounts_user" in q["sql"] for q in context.captured_queries[1:])


def test_the_thread_moves_to_the_new_message_and_never_back(user, other_user):
    first = services.message_send(sender=user, recipient_id=other_user.pk, content="a")
    second = services.message_send(sender=other_user, recipient_id=user.pk, content="b")
    assert second.conversation_id == first.conversation_id
    assert second.conversation.last_message_at == second.created_at
    assert Conversation.objects.get(pk=first.conversation_id).last_message_at == second.created_at

    later = timezone.now() + timedelta(hours=1)
    Conversation.objects.filter(pk=first.conversation_id).update(last_message_at=later)
    services.message_send(sender=user, recipient_id=other_user.pk, content="c")
    assert Conversation.objects.get(pk=first.conversation_id).last_message_at == later


def test_a_deleted_recipient_of_an_existing_thread_is_not_found(auth_client, user):
    gone = UserFactory()
    services.message_send(sender=user, recipient_id=gone.pk, content="a")
    conversation = Conversation.objects.get(key=services.pair_key(user.pk, gone.pk))
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
    message = services.message_send(sender=other_user, recipient_id=third.pk, content="a")
    before = message.conversation.last_message_at
    key = message.conversation.key  # the thread of two other users

    with pytest.raises(ForbiddenError):
        services.message_send(sender=user, recipient_id=other_user.pk, content="x", conversation_key=key)
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
