"""Reads of the web panel: a member's conversation, whom they write to, the
assistant's typing state, senders' names."""

from collections.abc import Iterable

from django.conf import settings

from accounts.models import User
from messaging import access
from messaging.enums import ConversationKind, ReplyState
from messaging.models import Conversation, Message


def conversation_get_for_member(*, user_id: int, conversation_key: str) -> Conversation | None:
    """The conversation when the user is one of its members (messaging.access), else None: the
    panel answers a stranger's thread as it answers a missing one."""
    conversation = Conversation.objects.filter(key=conversation_key).first()
    if conversation is None or not access.conversation_is_member(user_id=user_id, conversation=conversation):
        return None
    return conversation


def conversation_counterpart_id(*, conversation: Conversation, user_id: int) -> int | None:
    """Whom the user writes to in this thread: the bot in an AI thread, the other owner of a direct
    one, otherwise the other side of the newest message; None when there is nobody (a phone thread)."""
    if conversation.kind == ConversationKind.AI:
        return settings.AI_BOT_USER_ID
    if conversation.kind == ConversationKind.DIRECT and conversation.user_a_id and conversation.user_b_id:
        return conversation.user_b_id if conversation.user_a_id == user_id else conversation.user_a_id
    if conversation.kind == ConversationKind.PHONE:
        return None
    last = (
        access.messages_visible_to(user_id=user_id)
        .filter(conversation=conversation)
        .order_by("-created_at", "-id")
        .values("sender_id", "recipient_id")
        .first()
    )
    if last is None:
        return None
    return last["recipient_id"] if last["sender_id"] == user_id else last["sender_id"]


def ai_reply_awaited(*, user_id: int, conversation_key: str) -> bool:
    """True while a message of the user's to the bot in this thread waits for its AI turn (the
    panel shows "the assistant is typing" and polls until it is answered)."""
    return Message.objects.filter(
        conversation__key=conversation_key,
        sender_id=user_id,
        recipient_id=settings.AI_BOT_USER_ID,
        reply_state__in=[ReplyState.PENDING, ReplyState.PROCESSING],
    ).exists()


def user_names(*, user_ids: Iterable[int | None]) -> dict[int, str]:
    """Username by id for the senders shown on a page, in one query."""
    ids = {pk for pk in user_ids if pk is not None and pk > 0}
    return dict(User.objects.filter(pk__in=ids).order_by().values_list("id", "username")) if ids else {}
