"""The one access helper for messages and conversations.

Every endpoint, page and tool that touches a message or a conversation goes through here, so
user A can never read, change or delete user B's objects. The error texts are the public API's."""

from django.db.models import Q, QuerySet

from core.exceptions import ForbiddenError, NotFoundError
from messaging.models import Conversation, Message

MESSAGE_NOT_FOUND = "Message not found"
NO_ACCESS = "You don't have access to this message"
ONLY_SENDER = "Only the sender can update this message"
ONLY_RECIPIENT = "Only the recipient can mark this message as read"
NO_DELETE = "You don't have permission to delete this message"
NOT_MEMBER = "Not a member of this conversation"


def participant_q(user_id: int, prefix: str = "") -> Q:
    """Messages the user sent or received; `prefix` reaches them through a relation."""
    return Q(**{f"{prefix}sender_id": user_id}) | Q(**{f"{prefix}recipient_id": user_id})


def messages_visible_to(*, user_id: int) -> QuerySet[Message]:
    return Message.objects.filter(participant_q(user_id))


def is_participant(*, user_id: int, message: Message) -> bool:
    return user_id in (message.sender_id, message.recipient_id)


def _message(message_id: int) -> Message:
    message = Message.objects.select_related("conversation").filter(pk=message_id).first()
    if message is None:
        raise NotFoundError(MESSAGE_NOT_FOUND)
    return message


def message_get_for_view(*, user_id: int, message_id: int) -> Message:
    message = _message(message_id)
    if not is_participant(user_id=user_id, message=message):
        raise ForbiddenError(NO_ACCESS)
    return message


def message_get_for_update(*, user_id: int, message_id: int) -> Message:
    message = _message(message_id)
    if message.sender_id != user_id:
        raise ForbiddenError(ONLY_SENDER)
    return message


def message_get_for_mark_read(*, user_id: int, message_id: int) -> Message:
    message = _message(message_id)
    if message.recipient_id != user_id:
        raise ForbiddenError(ONLY_RECIPIENT)
    return message


def message_get_for_delete(*, user_id: int, message_id: int) -> Message:
    message = _message(message_id)
    if not is_participant(user_id=user_id, message=message):
        raise ForbiddenError(NO_DELETE)
    return message


def conversation_is_member(*, user_id: int, conversation: Conversation) -> bool:
    """Implicit membership (any message with the user as sender or recipient), plus the
    owners recorded on the conversation, so deleting messages never hands a thread to someone else."""
    if user_id in (conversation.user_id, conversation.user_a_id, conversation.user_b_id):
        return True
    return conversation.messages.filter(participant_q(user_id)).exists()


def conversation_require_member(*, user_id: int, conversation: Conversation) -> Conversation:
    if not conversation_is_member(user_id=user_id, conversation=conversation):
        raise ForbiddenError(NOT_MEMBER)
    return conversation
