"""Moving what users wrote off a channel's key (issue 22, point 1).

Before the channels' key space was reserved (messaging.keys), any user could create a conversation
under `phone:+…` before that number first wrote, and the inbound path then used it: the user's text
became the number's own turns in the AI's context. Here such a conversation is split in two:

* the channel's rows (inbound and outbound messages) go to the channel's own thread, a `phone`
  conversation under the key, so the contact's history stays whole for staff and the AI;
* what users wrote there (internal messages: theirs and the bot's answers to them) stays with, or
  moves to, a custom conversation under `detached-<id>:<old key>`, where its writers still see it.

The data migration that cleans up stored rows and the inbound path (for anything it still finds)
both call `reserved_key_detach`. It reads the model classes from the row it is given, so the
migration can pass its historical models: keep it to the fields that migration knows."""

from django.db.models import Max

from messaging.enums import ConversationKind, Direction
from messaging.models import CONVERSATION_KEY_MAX_LENGTH

CHANNEL_DIRECTIONS = (Direction.INBOUND, Direction.OUTBOUND)


def _detached_key(model, *, source_pk: int, key: str) -> str:
    """A key for the users' part of conversation `source_pk`: unique, off the reserved space, and
    still showing the old key (cut to the column's length)."""
    attempt = 0
    while True:
        tag = f"{source_pk}" if attempt == 0 else f"{source_pk}.{attempt}"
        candidate = f"detached-{tag}:{key}"[:CONVERSATION_KEY_MAX_LENGTH]
        if not model.objects.filter(key=candidate).exists():
            return candidate
        attempt += 1


def _last_message_at_recount(conversation) -> None:
    newest = conversation.messages.aggregate(at=Max("created_at"))["at"]
    type(conversation).objects.filter(pk=conversation.pk).update(last_message_at=newest)
    conversation.last_message_at = newest


def reserved_key_detach(conversation):
    """Split a conversation under a reserved key as described above; returns the channel's own
    thread under the key, or None when nothing of the channel's was there (the pipeline creates
    the thread with the number's first message). A `phone` conversation without users' rows is
    left as it is and returned."""
    conversation_model = type(conversation)
    key = conversation.key
    channel_rows = conversation.messages.filter(direction__in=CHANNEL_DIRECTIONS)
    user_rows = conversation.messages.exclude(direction__in=CHANNEL_DIRECTIONS)
    if conversation.kind == ConversationKind.PHONE:
        if user_rows.exists():
            detached = conversation_model.objects.create(
                key=_detached_key(conversation_model, source_pk=conversation.pk, key=key),
                kind=ConversationKind.CUSTOM,
            )
            user_rows.update(conversation=detached)
            _last_message_at_recount(detached)
            _last_message_at_recount(conversation)
        return conversation
    # A user's conversation: it keeps its row, owners and messages under a new key.
    conversation.key = _detached_key(conversation_model, source_pk=conversation.pk, key=key)
    conversation_model.objects.filter(pk=conversation.pk).update(key=conversation.key)
    first = channel_rows.order_by("created_at", "id").values("participant_number").first()
    if first is None:
        return None
    # The contact's mode (a `human` handoff) was theirs, not the user's.
    thread = conversation_model.objects.create(
        key=key, kind=ConversationKind.PHONE, participant_number=first["participant_number"], mode=conversation.mode
    )
    channel_rows.update(conversation=thread)
    _last_message_at_recount(thread)
    _last_message_at_recount(conversation)
    return thread
