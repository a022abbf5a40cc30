"""`/auth/conversations` A24–A27 through HTTP (CONTRACT §2.1, §9.2 point 5, §9.3 point 6)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.enums import ConversationMode
from messaging.models import Conversation, Message
from messaging.tests.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db


def send(client, recipient_id, content="hello", **extra):
    body = {"recipient_id": recipient_id, "content": content, **extra}
    return client.post("/messages", body, format="json")


def pair(a, b) -> str:
    return f"conv_{min(a.pk, b.pk)}_{max(a.pk, b.pk)}"


# --- A24 list ---------------------------------------------------------------------------------


def test_conversations_empty(auth_client):
    response = auth_client.get("/auth/conversations")
    assert response.status_code == 200
    assert response.json() == []


def test_conversations_newest_first_with_counterparts_and_unread(
    auth_client, other_client, user, other_user, third_user, ai_task_calls
):
    send(auth_client, other_user.pk, "old")
    send(other_client, user.pk, "reply 1")
    send(other_client, user.pk, "reply 2")
    send(auth_client, third_user.pk, "to third")
    send(auth_client, user.pk, "self note")
    send(auth_client, -1, "a" * 150)  # newest
    Conversation.objects.filter(key=f"conv_-1_{user.pk}").update(mode=ConversationMode.HUMAN)

    rows = auth_client.get("/auth/conversations").json()
    assert [r["conversation_id"] for r in rows] == [
        f"conv_-1_{user.pk}",
        f"conv_{user.pk}_{user.pk}",
        pair(user, third_user),
        pair(user, other_user),
    ]
    ai, self_chat, third, other = rows
    assert list(ai) == [
        "conversation_id", "other_user_id", "other_user_name", "last_message",
        "last_message_at", "unread_count", "mode", "last_message_failed",
    ]  # fmt: skip
    assert (ai["other_user_id"], ai["other_user_name"], ai["mode"]) == (-1, "AI Assistant", "human")
    assert ai["last_message"] == "a" * 100
    assert ai["last_message_at"].endswith("Z")
    assert (self_chat["other_user_id"], self_chat["other_user_name"], self_chat["unread_count"]) == (
        user.pk,
        user.username,
        1,
    )
    assert (third["other_user_name"], third["unread_count"], third["mode"]) == (third_user.username, 0, "ai")
    assert (other["other_user_id"], other["other_user_name"]) == (other_user.pk, other_user.username)
    assert (other["last_message"], other["unread_count"]) == ("reply 2", 2)


def test_conversations_bot_display_name_follows_settings(auth_client, ai_task_calls, settings):
    settings.AI_BOT_DISPLAY_NAME = "Helper Bot"
    send(auth_client, -1, "hi")
    assert auth_client.get("/auth/conversations").json()[0]["other_user_name"] == "Helper Bot"


def test_conversations_unknown_counterpart_is_unknown(auth_client, user):
    MessageFactory(sender_id=424242, recipient_id=user.pk, content="from a deleted user")
    row = auth_client.get("/auth/conversations").json()[0]
    assert (row["other_user_id"], row["other_user_name"], row["unread_count"]) == (424242, "Unknown", 1)


def test_conversations_ordered_by_the_last_message(auth_client, other_client, user, other_user, third_user):
    send(auth_client, third_user.pk, "first thread")
    send(auth_client, other_user.pk, "second thread")
    send(auth_client, third_user.pk, "first thread again")
    keys = [r["conversation_id"] for r in auth_client.get("/auth/conversations").json()]
    assert keys == [pair(user, third_user), pair(user, other_user)]
    # An older backdated message does not lift its thread.
    Message.objects.filter(content="first thread again").update(created_at=timezone.now() - timedelta(days=1))
    keys = [r["conversation_id"] for r in auth_client.get("/auth/conversations").json()]
    assert keys == [pair(user, other_user), pair(user, third_user)]


def test_conversations_skip_limit(auth_client, user, other_user, third_user):
    send(auth_client, other_user.pk)
    send(auth_client, third_user.pk)
    assert [r["conversation_id"] for r in auth_client.get("/auth/conversations?limit=1").json()] == [
        pair(user, third_user)
    ]
    assert [r["conversation_id"] for r in auth_client.get("/auth/conversations?skip=1").json()] == [
        pair(user, other_user)
    ]


def test_conversations_list_every_thread_by_default(auth_client, user):
    # Seed 1 returns A24 unpaginated: without `limit` the window is the cap, not the usual 100.
    for n in range(150):
        conversation = ConversationFactory(key=f"thread_{n}", user_a=user)
        MessageFactory(sender=user, recipient=user, conversation=conversation)
    assert len(auth_client.get("/auth/conversations").json()) == 150
    assert len(auth_client.get("/auth/conversations?limit=100").json()) == 100


def test_conversations_never_show_other_peoples_threads(auth_client, other_client, third_user):
    send(other_client, third_user.pk, "private")
    assert auth_client.get("/auth/conversations").json() == []


# --- A25 messages of one conversation -----------------------------------------------------------


def test_conversation_messages_chronological_with_window(auth_client, other_client, user, other_user):
    ids = [
        send(auth_client if i % 2 else other_client, other_user.pk if i % 2 else user.pk).json()["id"] for i in range(5)
    ]
    key = pair(user, other_user)
    assert [m["id"] for m in auth_client.get(f"/auth/conversations/{key}/messages").json()] == ids
    assert [m["id"] for m in other_client.get(f"/auth/conversations/{key}/messages").json()] == ids
    page = auth_client.get(f"/auth/conversations/{key}/messages?skip=1&limit=2").json()
    assert [m["id"] for m in page] == ids[2:4]


def test_conversation_messages_unknown_or_foreign_is_empty(auth_client, other_client, other_user, third_user):
    assert auth_client.get("/auth/conversations/nope/messages").json() == []
    send(other_client, third_user.pk, "private")
    key = pair(other_user, third_user)
    response = auth_client.get(f"/auth/conversations/{key}/messages")
    assert response.status_code == 200
    assert response.json() == []


def test_conversation_messages_show_only_the_callers_messages(
    auth_client, other_client, third_client, user, other_user
):
    send(auth_client, other_user.pk, "to other", conversation_id="group")
    send(other_client, user.pk, "to user", conversation_id="group")
    from accounts.models import User

    third = User.objects.exclude(pk__in=[user.pk, other_user.pk]).get()
    send(other_client, third.pk, "to third", conversation_id="group")
    contents = [m["content"] for m in auth_client.get("/auth/conversations/group/messages").json()]
    assert contents == ["to other", "to user"]
    assert [m["content"] for m in third_client.get("/auth/conversations/group/messages").json()] == ["to third"]


# --- A26 post into a conversation ---------------------------------------------------------------


def test_post_into_conversation_returns_200_and_path_wins(auth_client, user, other_user):
    response = auth_client.post(
        "/auth/conversations/team_chat/messages",
        {"recipient_id": other_user.pk, "content": "hello team", "conversation_id": "ignored"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["conversation_id"], body["sender_id"], body["content"]) == ("team_chat", user.pk, "hello team")
    assert not Conversation.objects.filter(key="ignored").exists()


def test_post_into_conversation_rejects_the_bot_and_unknown_users(auth_client, ai_task_calls):
    for recipient_id in (-1, 99999):
        response = auth_client.post(
            "/auth/conversations/x/messages", {"recipient_id": recipient_id, "content": "hi"}, format="json"
        )
        assert response.status_code == 404
        assert response.json() == {"detail": "Recipient not found"}
    assert not Message.objects.exists()
    assert ai_task_calls == []


def test_post_into_foreign_conversation_is_403(auth_client, other_client, user, other_user, third_user):
    send(other_client, third_user.pk, "private")
    key = pair(other_user, third_user)
    response = auth_client.post(
        f"/auth/conversations/{key}/messages", {"recipient_id": other_user.pk, "content": "let me in"}, format="json"
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "Not a member of this conversation"}
    assert not Message.objects.filter(sender_id=user.pk).exists()


def test_post_into_conversation_validation(auth_client):
    response = auth_client.post("/auth/conversations/x/messages", {"content": "hi"}, format="json")
    assert response.status_code == 400
    assert "recipient_id" in response.json()["detail"]


# --- A27 mark a conversation read ---------------------------------------------------------------


def test_mark_conversation_read(auth_client, other_client, user, other_user, third_user):
    send(other_client, user.pk, "one")
    send(other_client, user.pk, "two")
    send(auth_client, other_user.pk, "mine stays unread for them")
    send(auth_client, third_user.pk)
    MessageFactory(sender=third_user, recipient=user)  # another conversation, untouched
    response = auth_client.put(f"/auth/conversations/{pair(user, other_user)}/read")
    assert response.status_code == 200
    assert response.json() == {"message": "Conversation marked as read"}
    assert auth_client.get("/messages/unread/count").json() == {"unread_count": 1}
    assert other_client.get("/messages/unread/count").json() == {"unread_count": 1}


def test_mark_foreign_conversation_read_changes_nothing(auth_client, other_client, other_user, third_user):
    send(other_client, third_user.pk, "private")
    response = auth_client.put(f"/auth/conversations/{pair(other_user, third_user)}/read")
    assert response.status_code == 200
    assert not Message.objects.get().is_read


@pytest.mark.parametrize(("method", "suffix"), [("get", "messages"), ("post", "messages"), ("put", "read")])
def test_a_conversation_id_with_a_nul_character_is_not_found(auth_client, method, suffix):
    """Found by fuzzing: PostgreSQL refuses NUL in text, so the lookup was a 500."""
    response = getattr(auth_client, method)(
        f"/auth/conversations/conv%00x/{suffix}", {"recipient_id": -1, "content": "hi"}, format="json"
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}
