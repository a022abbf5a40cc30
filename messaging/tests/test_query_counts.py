"""Lists run a constant number of queries: 1 row or 50 rows cost the same (no N+1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from messaging.tests.factories import MessageFactory

pytestmark = pytest.mark.django_db


def queries_for(client, path: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(path)
    assert response.status_code == 200
    return len(context)


def test_conversation_list_is_constant(auth_client, user, django_assert_max_num_queries):
    MessageFactory(sender=user, recipient=UserFactory())
    baseline = queries_for(auth_client, "/auth/conversations")
    for other in UserFactory.create_batch(49):
        MessageFactory(sender=other, recipient=user)
    MessageFactory(sender=user, recipient_id=-1, conversation__key=f"conv_-1_{user.pk}", conversation__kind="ai")
    with django_assert_max_num_queries(baseline):
        response = auth_client.get("/auth/conversations")
    assert len(response.json()) == 51


def test_message_list_is_constant(auth_client, user, other_user, django_assert_max_num_queries):
    MessageFactory(sender=user, recipient=other_user)
    baseline = queries_for(auth_client, "/messages")
    for i in range(49):
        if i % 2:
            MessageFactory(sender=other_user, recipient=user)
        else:
            MessageFactory(sender=user, recipient=UserFactory())
    for path in ("/messages", "/messages/sent", "/messages/received", "/messages?unread_only=true"):
        with django_assert_max_num_queries(baseline):
            auth_client.get(path)
    assert len(auth_client.get("/messages").json()) == 50


def test_conversation_messages_are_constant(auth_client, user, other_user, django_assert_max_num_queries):
    MessageFactory(sender=user, recipient=other_user)
    key = f"conv_{min(user.pk, other_user.pk)}_{max(user.pk, other_user.pk)}"
    baseline = queries_for(auth_client, f"/auth/conversations/{key}/messages")
    MessageFactory.create_batch(49, sender=other_user, recipient=user)
    with django_assert_max_num_queries(baseline):
        response = auth_client.get(f"/auth/conversations/{key}/messages")
    assert len(response.json()) == 50
