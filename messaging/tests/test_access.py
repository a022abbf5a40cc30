"""A stranger walks every message and conversation endpoint with someone else's ids (CONTRACT §8.7)."""

import pytest

from messaging.models import Conversation, Message
from messaging.tests.factories import MessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned(user, other_user):
    """User A's direct message to B, A's custom thread and A's AI conversation with one turn each."""
    direct = MessageFactory(sender=user, recipient=other_user, content="direct secret")
    custom = MessageFactory(
        sender=user,
        recipient=other_user,
        content="custom secret",
        conversation__key="secret_thread",
        conversation__kind="custom",
    )
    ai = MessageFactory(
        sender=user,
        recipient_id=-1,
        content="ai secret",
        conversation__key=f"conv_-1_{user.pk}",
        conversation__kind="ai",
    )
    return {"messages": [direct, custom, ai], "snapshot": _snapshot()}


def _snapshot() -> list[tuple]:
    return list(Message.objects.order_by("id").values_list("id", "content", "is_read", "conversation_id"))


def test_stranger_cannot_read_change_or_delete_messages(third_client, owned):
    for message in owned["messages"]:
        path = f"/messages/{message.pk}"
        expectations = [
            (third_client.get(path), "You don't have access to this message"),
            (third_client.put(path, {"content": "pwned"}, format="json"), "Only the sender can update this message"),
            (third_client.put(f"{path}/read"), "Only the recipient can mark this message as read"),
            (third_client.delete(path), "You don't have permission to delete this message"),
            (third_client.get(f"/api/v1{path}"), "You don't have access to this message"),
        ]
        for response, detail in expectations:
            assert response.status_code == 403, (path, response.content)
            assert response.json() == {"detail": detail}
    assert _snapshot() == owned["snapshot"]


def test_stranger_cannot_see_or_use_conversations(third_client, third_user, owned, user, other_user):
    keys = list(Conversation.objects.values_list("key", flat=True))
    assert len(keys) == 3
    assert third_client.get("/auth/conversations").json() == []
    assert third_client.get("/messages").json() == []
    assert third_client.get("/messages/history").json() == {"history": [], "message_count": 0}
    for key in keys:
        assert third_client.get(f"/auth/conversations/{key}/messages").json() == []
        assert third_client.put(f"/auth/conversations/{key}/read").status_code == 200
        for recipient in (user, other_user, third_user):
            for path, body in (
                (f"/auth/conversations/{key}/messages", {"recipient_id": recipient.pk, "content": "x"}),
                ("/messages", {"recipient_id": recipient.pk, "content": "x", "conversation_id": key}),
            ):
                response = third_client.post(path, body, format="json")
                assert response.status_code == 403, (path, key)
                assert response.json() == {"detail": "Not a member of this conversation"}
    assert _snapshot() == owned["snapshot"]


def test_strangers_history_clear_leaves_yours_alone(auth_client, third_client, owned):
    assert auth_client.get("/messages/history").json()["message_count"] == 1
    assert third_client.delete("/messages/history/clear").status_code == 200
    assert auth_client.get("/messages/history").json()["message_count"] == 1


def test_recipient_sees_but_cannot_edit(other_client, owned):
    direct = owned["messages"][0]
    assert other_client.get(f"/messages/{direct.pk}").status_code == 200
    response = other_client.put(f"/messages/{direct.pk}", {"content": "edited"}, format="json")
    assert response.json() == {"detail": "Only the sender can update this message"}
    assert _snapshot() == owned["snapshot"]


def test_deleted_messages_do_not_free_a_conversation_for_strangers(auth_client, third_client, other_user):
    body = {"recipient_id": other_user.pk, "content": "x", "conversation_id": "fresh_thread"}
    message_id = auth_client.post("/messages", body, format="json").json()["id"]
    assert auth_client.delete(f"/messages/{message_id}").status_code == 200
    assert third_client.post("/messages", body, format="json").status_code == 403
    assert auth_client.post("/messages", body, format="json").status_code == 201


# --- nobody is pulled into a user's AI thread or a direct thread ----------------------------


def test_a_user_cannot_pull_someone_into_their_ai_thread(auth_client, user, other_user):
    assert auth_client.post("/messages", {"recipient_id": -1, "content": "hi bot"}, format="json").status_code == 201
    response = auth_client.post(
        "/messages",
        {"recipient_id": other_user.pk, "content": "join me", "conversation_id": f"conv_-1_{user.pk}"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "Recipient is not part of this conversation"}
    assert not Message.objects.filter(recipient_id=other_user.pk).exists()


def test_a_third_user_cannot_be_addressed_inside_a_direct_thread(auth_client, user, other_user, third_user):
    first = auth_client.post("/messages", {"recipient_id": other_user.pk, "content": "hi"}, format="json")
    key = first.json()["conversation_id"]
    for recipient in (third_user.pk, -1):
        response = auth_client.post(
            "/messages", {"recipient_id": recipient, "content": "psst", "conversation_id": key}, format="json"
        )
        assert response.status_code == 400
        assert response.json() == {"detail": "Recipient is not part of this conversation"}
    via_a26 = auth_client.post(
        f"/auth/conversations/{key}/messages", {"recipient_id": third_user.pk, "content": "psst"}, format="json"
    )
    assert via_a26.status_code == 400


def test_a_new_ai_key_with_a_human_recipient_is_refused(auth_client, user, other_user):
    response = auth_client.post(
        "/messages",
        {"recipient_id": other_user.pk, "content": "x", "conversation_id": f"conv_-1_{user.pk}"},
        format="json",
    )
    assert response.status_code == 400
    assert not Conversation.objects.filter(key=f"conv_-1_{user.pk}").exists()  # nothing half-saved
