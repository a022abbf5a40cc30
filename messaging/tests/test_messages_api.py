"""`/messages` M1–M14 through HTTP, including the seed-1 acceptance checks (CONTRACT Appendix A)."""

import pytest

from messaging.enums import Channel, ConversationKind, Direction, ReplyState
from messaging.models import Conversation, Message
from messaging.tests.factories import MessageFactory

pytestmark = pytest.mark.django_db

MESSAGE_KEYS = [
    "id", "sender_id", "recipient_id", "content", "is_read", "conversation_id",
    "created_at", "updated_at", "channel", "direction", "status",
]  # fmt: skip


def send(client, recipient_id, content="hello", headers=None, **extra):
    body = {"recipient_id": recipient_id, "content": content, **extra}
    return client.post("/messages", body, format="json", headers=headers)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/messages"),
        ("post", "/messages"),
        ("get", "/messages/sent"),
        ("get", "/messages/received"),
        ("get", "/messages/1"),
        ("put", "/messages/1"),
        ("delete", "/messages/1"),
        ("put", "/messages/1/read"),
        ("get", "/messages/unread/count"),
        ("put", "/messages/read-all"),
        ("get", "/messages/history"),
        ("delete", "/messages/history/clear"),
        ("post", "/messages/ai"),
        ("post", "/messages/ai/twilio"),
        ("get", "/auth/conversations"),
        ("get", "/auth/conversations/conv_1_2/messages"),
        ("post", "/auth/conversations/conv_1_2/messages"),
        ("put", "/auth/conversations/conv_1_2/read"),
    ],
)
def test_unauthenticated_is_401(api_client, method, path):
    response = getattr(api_client, method)(path, format="json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}
    assert response["WWW-Authenticate"] == "Bearer"


# --- M10 send ---------------------------------------------------------------------------------


def test_send_returns_201_with_the_default_conversation_id(auth_client, user, other_user):
    response = send(auth_client, other_user.pk, "Hi there")
    assert response.status_code == 201
    body = response.json()
    assert list(body) == MESSAGE_KEYS
    low, high = sorted([user.pk, other_user.pk])
    assert body | {"id": 0, "created_at": "", "updated_at": ""} == {
        "id": 0,
        "sender_id": user.pk,
        "recipient_id": other_user.pk,
        "content": "Hi there",
        "is_read": False,
        "conversation_id": f"conv_{low}_{high}",
        "created_at": "",
        "updated_at": "",
        "channel": "web",
        "direction": "internal",
        "status": None,
    }
    assert body["created_at"].endswith("Z")
    conversation = Conversation.objects.get(key=f"conv_{low}_{high}")
    assert conversation.kind == ConversationKind.DIRECT
    assert (conversation.user_a_id, conversation.user_b_id) == (low, high)
    assert conversation.last_message_at == Message.objects.get(pk=body["id"]).created_at


def test_send_reuses_the_pair_conversation_from_either_side(auth_client, other_client, user, other_user):
    first = send(auth_client, other_user.pk).json()
    second = send(other_client, user.pk).json()
    assert first["conversation_id"] == second["conversation_id"]
    assert Conversation.objects.count() == 1


def test_send_with_custom_conversation_id_is_echoed(auth_client, other_user):
    response = send(auth_client, other_user.pk, conversation_id="custom_conv_123")
    assert response.status_code == 201
    assert response.json()["conversation_id"] == "custom_conv_123"
    assert Conversation.objects.get(key="custom_conv_123").kind == ConversationKind.CUSTOM


def test_send_blank_conversation_id_means_default(auth_client, user, other_user):
    response = send(auth_client, other_user.pk, conversation_id="")
    low, high = sorted([user.pk, other_user.pk])
    assert response.json()["conversation_id"] == f"conv_{low}_{high}"


def test_send_to_self_is_allowed(auth_client, user):
    response = send(auth_client, user.pk, "note to self")
    assert response.status_code == 201
    assert response.json()["conversation_id"] == f"conv_{user.pk}_{user.pk}"


def test_send_to_an_inactive_user_is_allowed(auth_client):
    from accounts.tests.factories import UserFactory

    inactive = UserFactory(is_active=False)
    assert send(auth_client, inactive.pk).status_code == 201


def test_send_to_unknown_recipient_is_404(auth_client):
    response = send(auth_client, 99999)
    assert response.status_code == 404
    assert response.json() == {"detail": "Recipient not found"}
    assert not Message.objects.exists()


def test_send_accepts_long_content(auth_client, other_user):
    long = send(auth_client, other_user.pk, "x" * 10_000)
    assert long.status_code == 201 and len(long.json()["content"]) == 10_000
    assert send(auth_client, other_user.pk, "x" * 50_000).status_code == 201
    # Empty content is refused: messaging/tests/test_message_validation.py.


def test_send_rejects_content_over_the_cap(auth_client, other_user):
    response = send(auth_client, other_user.pk, "x" * 50_001)
    assert response.status_code == 400
    assert list(response.json()["detail"]) == ["content"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content": "hi"}, "recipient_id"),
        ({"recipient_id": 2}, "content"),
        ({"recipient_id": "abc", "content": "hi"}, "recipient_id"),
        ({"recipient_id": 2, "content": "hi", "conversation_id": "c" * 101}, "conversation_id"),
    ],
)
def test_send_validation_errors_name_the_field(auth_client, body, field):
    response = auth_client.post("/messages", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["detail"]


def test_send_keeps_unicode_intact(auth_client, other_user):
    text = "你好，世界 👋🏽 Zażółć gęślą jaźń"
    created = send(auth_client, other_user.pk, text).json()
    assert created["content"] == text
    assert auth_client.get(f"/messages/{created['id']}").json()["content"] == text
    assert Message.objects.get(pk=created["id"]).content == text


def test_send_keeps_whitespace_verbatim(auth_client, other_user):
    assert send(auth_client, other_user.pk, "  padded \n").json()["content"] == "  padded \n"


def test_send_ignores_smuggled_fields(auth_client, user, other_user):
    body = send(auth_client, other_user.pk, is_read=True, sender_id=other_user.pk, status="delivered").json()
    assert (body["sender_id"], body["is_read"], body["status"]) == (user.pk, False, None)


def test_send_into_a_conversation_you_are_not_in_is_403(auth_client, other_client, third_user, other_user):
    assert send(other_client, third_user.pk, conversation_id="private_thread").status_code == 201
    response = send(auth_client, other_user.pk, conversation_id="private_thread")
    assert response.status_code == 403
    assert response.json() == {"detail": "Not a member of this conversation"}


def test_send_cannot_squat_on_another_pairs_default_conversation(auth_client, other_user, third_user):
    key = f"conv_{min(other_user.pk, third_user.pk)}_{max(other_user.pk, third_user.pk)}"
    response = send(auth_client, other_user.pk, conversation_id=key)
    assert response.status_code == 403
    assert response.json() == {"detail": "Not a member of this conversation"}
    assert not Conversation.objects.filter(key=key).exists()


def test_recipient_of_a_custom_conversation_may_answer_in_it(auth_client, other_client, user, other_user):
    first = send(auth_client, other_user.pk, conversation_id="our_thread").json()
    response = send(other_client, user.pk, conversation_id="our_thread")
    assert response.status_code == 201
    body = response.json()
    assert (body["conversation_id"], body["sender_id"], body["recipient_id"]) == ("our_thread", other_user.pk, user.pk)
    conversation = Conversation.objects.get(key="our_thread")
    assert Conversation.objects.count() == 1
    assert list(conversation.messages.values_list("id", flat=True)) == [first["id"], body["id"]]


def test_send_to_bot_stores_a_pending_message_and_queues_the_reply(
    auth_client, user, ai_task_calls, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = send(auth_client, -1, "Hello AI")
    assert response.status_code == 201
    body = response.json()
    assert (body["recipient_id"], body["conversation_id"], body["channel"]) == (-1, f"conv_-1_{user.pk}", "web")
    message = Message.objects.get(pk=body["id"])
    assert message.reply_state == ReplyState.PENDING
    assert message.direction == Direction.INTERNAL
    assert len(callbacks) == 1
    assert ai_task_calls == [(message.pk,)]
    conversation = message.conversation
    assert (conversation.kind, conversation.user_id) == (ConversationKind.AI, user.pk)


def test_send_to_bot_is_queued_only_after_commit(auth_client, ai_task_calls, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send(auth_client, -1, "Hello AI")
    assert len(callbacks) == 1
    assert ai_task_calls == []


def test_send_to_bot_with_api_client_header_uses_the_api_channel(auth_client, ai_task_calls):
    response = send(auth_client, -1, "from a script", headers={"X-Client-Channel": "api"})
    assert response.json()["channel"] == "api"
    assert Message.objects.get().channel == Channel.API


def test_send_to_a_user_queues_no_ai_reply(auth_client, other_user, ai_task_calls, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send(auth_client, other_user.pk)
    assert ai_task_calls == []
    assert Message.objects.get().reply_state == ReplyState.NONE


def test_api_v1_alias_and_trailing_slash(auth_client, other_user):
    created = auth_client.post("/api/v1/messages", {"recipient_id": other_user.pk, "content": "via v1"}, format="json")
    assert created.status_code == 201
    assert [m["content"] for m in auth_client.get("/api/v1/messages").json()] == ["via v1"]
    assert auth_client.get("/messages/").status_code == 200
    assert auth_client.get(f"/api/v1/messages/{created.json()['id']}/").status_code == 200


# --- M1–M3 lists ------------------------------------------------------------------------------


def test_list_pagination_returns_chronological_windows(auth_client, user, other_user):
    ids = [send(auth_client, other_user.pk, f"m{i}").json()["id"] for i in range(5)]
    first = auth_client.get("/messages?skip=0&limit=2").json()
    second = auth_client.get("/messages?skip=2&limit=2").json()
    assert [m["id"] for m in first] == ids[3:5]  # the newest two, oldest first
    assert [m["id"] for m in second] == ids[1:3]
    assert [m["id"] for m in auth_client.get("/messages").json()] == ids


def test_list_limit_is_clamped_and_validated(auth_client, other_user):
    for _ in range(3):
        send(auth_client, other_user.pk)
    assert len(auth_client.get("/messages?limit=0").json()) == 1
    assert len(auth_client.get("/messages?limit=100000").json()) == 3
    response = auth_client.get("/messages?limit=abc")
    assert response.status_code == 400 and "limit" in response.json()["detail"]


def test_list_shows_sent_and_received_but_not_others(auth_client, other_client, user, other_user, third_user):
    mine = send(auth_client, other_user.pk, "to other").json()["id"]
    theirs = send(other_client, user.pk, "to user").json()["id"]
    send(other_client, third_user.pk, "not for user")
    assert [m["id"] for m in auth_client.get("/messages").json()] == [mine, theirs]


def test_unread_only_filters_to_unread_received(auth_client, other_client, user, other_user):
    send(auth_client, other_user.pk, "sent by me, unread by them")
    unread = send(other_client, user.pk, "unread").json()["id"]
    read = send(other_client, user.pk, "read").json()["id"]
    auth_client.put(f"/messages/{read}/read")
    assert [m["id"] for m in auth_client.get("/messages?unread_only=true").json()] == [unread]
    assert len(auth_client.get("/messages?unread_only=false").json()) == 3
    assert auth_client.get("/messages?unread_only=maybe").status_code == 400


def test_sent_and_received(auth_client, other_client, user, other_user):
    sent = send(auth_client, other_user.pk, "out").json()["id"]
    received = [send(other_client, user.pk, f"in{i}").json()["id"] for i in range(3)]
    auth_client.put(f"/messages/{received[0]}/read")
    assert [m["id"] for m in auth_client.get("/messages/sent").json()] == [sent]
    assert [m["id"] for m in auth_client.get("/messages/received").json()] == received
    assert [m["id"] for m in auth_client.get("/messages/received?unread_only=true").json()] == received[1:]
    assert [m["id"] for m in auth_client.get("/messages/received?skip=0&limit=2").json()] == received[1:]


# --- M4, M5, M8 read state ------------------------------------------------------------------------


def test_unread_count_is_per_user_and_read_all_clears_it(auth_client, other_client, user, other_user):
    for _ in range(3):
        send(other_client, user.pk)
    send(auth_client, other_user.pk)
    assert auth_client.get("/messages/unread/count").json() == {"unread_count": 3}
    assert other_client.get("/messages/unread/count").json() == {"unread_count": 1}
    response = auth_client.put("/messages/read-all")
    assert response.status_code == 200
    assert response.json() == {"message": "All messages marked as read"}
    assert auth_client.get("/messages/unread/count").json() == {"unread_count": 0}
    assert other_client.get("/messages/unread/count").json() == {"unread_count": 1}


def test_mark_read_as_recipient(auth_client, other_client, user):
    message_id = send(other_client, user.pk).json()["id"]
    response = auth_client.put(f"/messages/{message_id}/read")
    assert response.status_code == 200
    assert response.json() == {"message": "Message marked as read"}
    assert Message.objects.get(pk=message_id).is_read


def test_mark_read_by_sender_or_stranger_is_403(auth_client, other_client, third_client, other_user):
    message_id = send(auth_client, other_user.pk).json()["id"]
    for client in (auth_client, third_client):
        response = client.put(f"/messages/{message_id}/read")
        assert response.status_code == 403
        assert response.json() == {"detail": "Only the recipient can mark this message as read"}
    assert not Message.objects.get(pk=message_id).is_read


def test_mark_read_unknown_is_404(auth_client):
    response = auth_client.put("/messages/99999/read")
    assert response.status_code == 404
    assert response.json() == {"detail": "Message not found"}


# --- M6, M7, M9 single message ------------------------------------------------------------------


def test_get_as_sender_and_recipient(auth_client, other_client, other_user):
    message_id = send(auth_client, other_user.pk, "visible").json()["id"]
    for client in (auth_client, other_client):
        response = client.get(f"/messages/{message_id}")
        assert response.status_code == 200
        assert response.json()["content"] == "visible"


def test_get_by_stranger_is_403_and_unknown_is_404(auth_client, third_client, other_user):
    message_id = send(auth_client, other_user.pk).json()["id"]
    response = third_client.get(f"/messages/{message_id}")
    assert response.status_code == 403
    assert response.json() == {"detail": "You don't have access to this message"}
    missing = auth_client.get("/messages/99999")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Message not found"}


def test_non_integer_message_id_is_not_routed(auth_client):
    assert auth_client.get("/messages/abc").status_code == 404


def test_update_as_sender(auth_client, other_user):
    message_id = send(auth_client, other_user.pk, "before").json()["id"]
    response = auth_client.put(f"/messages/{message_id}", {"content": "after ✓"}, format="json")
    assert response.status_code == 200
    assert response.json()["content"] == "after ✓"
    assert Message.objects.get(pk=message_id).content == "after ✓"


@pytest.mark.parametrize("body", [{}, {"content": None}])
def test_update_without_content_is_a_no_op(auth_client, other_user, body):
    message_id = send(auth_client, other_user.pk, "unchanged").json()["id"]
    response = auth_client.put(f"/messages/{message_id}", body, format="json")
    assert response.status_code == 200
    assert response.json()["content"] == "unchanged"


def test_update_by_recipient_or_stranger_is_403(auth_client, other_client, third_client, other_user):
    message_id = send(auth_client, other_user.pk, "mine").json()["id"]
    for client in (other_client, third_client):
        response = client.put(f"/messages/{message_id}", {"content": "hijack"}, format="json")
        assert response.status_code == 403
        assert response.json() == {"detail": "Only the sender can update this message"}
    assert Message.objects.get(pk=message_id).content == "mine"


def test_update_unknown_is_404_and_too_long_is_400(auth_client, other_user):
    assert auth_client.put("/messages/99999", {"content": "x"}, format="json").json() == {"detail": "Message not found"}
    message_id = send(auth_client, other_user.pk).json()["id"]
    response = auth_client.put(f"/messages/{message_id}", {"content": "x" * 50_001}, format="json")
    assert response.status_code == 400 and "content" in response.json()["detail"]


@pytest.mark.parametrize("deleter", ["sender", "recipient"])
def test_delete_as_participant_then_404(auth_client, other_client, other_user, deleter):
    message_id = send(auth_client, other_user.pk).json()["id"]
    client = auth_client if deleter == "sender" else other_client
    response = client.delete(f"/messages/{message_id}")
    assert response.status_code == 200
    assert response.json() == {"message": "Message deleted successfully"}
    assert client.get(f"/messages/{message_id}").status_code == 404
    assert auth_client.get(f"/messages/{message_id}").json() == {"detail": "Message not found"}


def test_delete_by_stranger_is_403_and_unknown_is_404(auth_client, third_client, other_user):
    message_id = send(auth_client, other_user.pk).json()["id"]
    response = third_client.delete(f"/messages/{message_id}")
    assert response.status_code == 403
    assert response.json() == {"detail": "You don't have permission to delete this message"}
    assert Message.objects.filter(pk=message_id).exists()
    assert auth_client.delete("/messages/99999").json() == {"detail": "Message not found"}


def test_delete_moves_last_message_at_back(auth_client, other_user):
    first = send(auth_client, other_user.pk).json()["id"]
    second = send(auth_client, other_user.pk).json()["id"]
    auth_client.delete(f"/messages/{second}")
    conversation = Conversation.objects.get()
    assert conversation.last_message_at == Message.objects.get(pk=first).created_at


# --- M13, M14 AI history ----------------------------------------------------------------------


def test_history_is_empty_without_an_ai_conversation(auth_client):
    response = auth_client.get("/messages/history")
    assert response.status_code == 200
    assert response.json() == {"history": [], "message_count": 0}


def test_history_lists_the_ai_turns_and_clear_hides_them(auth_client, user, other_user, ai_task_calls):
    send(auth_client, -1, "first question")
    MessageFactory(
        sender_id=-1,
        recipient_id=user.pk,
        content="first answer",
        conversation=Conversation.objects.get(key=f"conv_-1_{user.pk}"),
    )
    send(auth_client, other_user.pk, "not AI talk")
    assert auth_client.get("/messages/history").json() == {
        "history": [
            {"role": "user", "content": "first question", "failed": False},
            {"role": "assistant", "content": "first answer", "failed": False},
        ],
        "message_count": 2,
    }

    response = auth_client.delete("/messages/history/clear")
    assert response.status_code == 200
    assert response.json() == {"message": "Chat history cleared successfully"}
    assert auth_client.get("/messages/history").json() == {"history": [], "message_count": 0}

    send(auth_client, -1, "after the clear")
    assert auth_client.get("/messages/history").json()["history"] == [
        {"role": "user", "content": "after the clear", "failed": False}
    ]
    # Clearing the context keeps the messages themselves.
    assert len(auth_client.get("/messages").json()) == 4


def test_history_clear_without_a_conversation_creates_the_marker(auth_client, user):
    assert auth_client.delete("/messages/history/clear").status_code == 200
    conversation = Conversation.objects.get(key=f"conv_-1_{user.pk}")
    assert conversation.kind == ConversationKind.AI and conversation.context_reset_at is not None


def test_history_is_per_user(auth_client, other_client, ai_task_calls):
    send(auth_client, -1, "mine")
    assert other_client.get("/messages/history").json() == {"history": [], "message_count": 0}


# --- M11, M12 blocking AI chat (wiring only; the orchestrator's tests cover the reply) ----------


@pytest.mark.parametrize("path", ["/messages/ai", "/messages/ai/twilio"])
def test_ai_chat_returns_the_stored_reply(auth_client, user, fake_ai_reply, path):
    response = auth_client.post(path, {"content": "Hi bot", "recipient_id": 12345}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["sender_id"], body["recipient_id"]) == (-1, user.pk)
    assert body["conversation_id"] == f"conv_-1_{user.pk}"
    question = Message.objects.get(sender_id=user.pk)
    assert (question.recipient_id, question.content) == (-1, "Hi bot")


def test_ai_chat_in_a_custom_conversation_answers_there(auth_client, user, fake_ai_reply):
    response = auth_client.post("/messages/ai", {"content": "Hi", "conversation_id": "my_ai_thread"}, format="json")
    assert response.status_code == 200
    assert response.json()["conversation_id"] == "my_ai_thread"
    question = Message.objects.get(sender_id=user.pk)
    assert question.conversation.key == "my_ai_thread"
    assert question.replies.get().pk == response.json()["id"]


def test_ai_chat_needs_content_only(auth_client, fake_ai_reply):
    assert auth_client.post("/messages/ai", {"content": "no recipient"}, format="json").status_code == 200
    response = auth_client.post("/messages/ai", {}, format="json")
    assert response.status_code == 400
    assert "content" in response.json()["detail"]
