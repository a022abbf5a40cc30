"""An empty or whitespace-only message is refused with a 400 naming `content`, and nothing is
stored: such a message says nothing and would be missing from the history."""

import pytest

from messaging.models import Message
from messaging.tests.factories import MessageFactory

pytestmark = pytest.mark.django_db

BLANK = ["", " ", "   \n\t ", "\u3000"]  # the last one: an ideographic space
BLANK_ERROR = {"detail": {"content": ["This field may not be blank."]}}


def posts(other_user) -> list[tuple[str, dict]]:
    return [
        ("/messages", {"recipient_id": other_user.pk}),
        ("/messages/ai", {}),
        ("/messages/ai/twilio", {}),
        (f"/auth/conversations/conv_custom_{other_user.pk}/messages", {"recipient_id": other_user.pk}),
        ("/api/v1/messages", {"recipient_id": other_user.pk}),
    ]


@pytest.mark.parametrize("content", BLANK)
def test_sending_a_blank_message_is_a_400_naming_content(auth_client, other_user, content):
    for path, body in posts(other_user):
        response = auth_client.post(path, {**body, "content": content}, format="json")
        assert (response.status_code, response.json()) == (400, BLANK_ERROR), path
    assert not Message.objects.exists()


def test_a_missing_or_null_content_is_a_400_naming_content(auth_client, other_user):
    for path, body in posts(other_user):
        for payload in (body, {**body, "content": None}):
            response = auth_client.post(path, payload, format="json")
            assert response.status_code == 400, (path, payload)
            assert list(response.json()["detail"]) == ["content"], (path, payload)
    assert not Message.objects.exists()


@pytest.mark.parametrize("content", BLANK)
def test_editing_a_message_to_blank_is_a_400_and_keeps_the_text(auth_client, user, other_user, content):
    message = MessageFactory(sender=user, recipient=other_user, content="hello")
    response = auth_client.put(f"/messages/{message.pk}", {"content": content}, format="json")
    assert (response.status_code, response.json()) == (400, BLANK_ERROR)
    message.refresh_from_db()
    assert message.content == "hello"


def test_editing_without_content_is_still_a_no_op(auth_client, user, other_user):
    message = MessageFactory(sender=user, recipient=other_user, content="hello")
    for body in ({}, {"content": None}):
        response = auth_client.put(f"/messages/{message.pk}", body, format="json")
        assert response.status_code == 200, body
        assert response.json()["content"] == "hello"


def test_text_around_whitespace_is_stored_verbatim(auth_client, other_user):
    response = auth_client.post("/messages", {"recipient_id": other_user.pk, "content": "  hi \n"}, format="json")
    assert response.status_code == 201
    assert Message.objects.get().content == "  hi \n"
