from datetime import datetime, tzinfo
from typing import Any

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from messaging.models import CONTENT_MAX_LENGTH, CONVERSATION_KEY_MAX_LENGTH, Message


def _not_blank(value: str) -> None:
    # `trim_whitespace=False` lets "  " through DRF's own blank check: refuse it with the same words.
    if not value.strip():
        raise serializers.ValidationError(serializers.CharField.default_error_messages["blank"], code="blank")


def _content(**kwargs) -> serializers.CharField:
    # Stored verbatim (no trimming, full Unicode), but never empty or whitespace only: such a message
    # says nothing and is left out of the history (issue 12: "" is refused).
    return serializers.CharField(
        allow_blank=False,
        trim_whitespace=False,
        max_length=CONTENT_MAX_LENGTH,
        validators=[_not_blank],
        **kwargs,
    )


def _conversation_id() -> serializers.CharField:
    return serializers.CharField(
        max_length=CONVERSATION_KEY_MAX_LENGTH, required=False, allow_null=True, allow_blank=True, default=None
    )


# `MessageOut` is taken by the accounts ack body ({"message": ...}) in the schema components.
@extend_schema_serializer(component_name="Message")
class MessageOutSerializer(serializers.ModelSerializer):
    conversation_id = serializers.CharField(source="conversation.key", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Message
        fields = [
            "id", "sender_id", "recipient_id", "content", "is_read", "conversation_id",
            "created_at", "updated_at", "channel", "direction", "status",
        ]  # fmt: skip
        read_only_fields = fields


# What MessageOutSerializer shows, in its order; the database columns that hold it. The schema is
# built from the serializer, the responses from these: a list of 50 went through DRF's per-field
# machinery 550 times per request, which cost more than the query and the JSON together.
MESSAGE_OUT_FIELDS = MessageOutSerializer.Meta.fields
MESSAGE_OUT_COLUMNS = tuple("conversation__key" if name == "conversation_id" else name for name in MESSAGE_OUT_FIELDS)
_DATETIME_FIELDS = frozenset({"created_at", "updated_at"})


def _datetime_out(value: datetime | None, zone: tzinfo | None) -> str | None:
    # DRF's DateTimeField: ISO 8601 in the current time zone, UTC written as "Z".
    if not value:
        return None
    if zone is not None:
        value = value.astimezone(zone)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def message_rows_out(rows: list[tuple]) -> list[dict[str, Any]]:
    """MessageOutSerializer's body for rows of MESSAGE_OUT_COLUMNS."""
    zone = timezone.get_current_timezone() if settings.USE_TZ else None  # once per list: a context lookup
    out = []
    for row in rows:
        message = dict(zip(MESSAGE_OUT_FIELDS, row, strict=True))
        for name in _DATETIME_FIELDS:
            message[name] = _datetime_out(message[name], zone)
        out.append(message)
    return out


def message_out(message: Message) -> dict[str, Any]:
    """MessageOutSerializer's body for one message (its conversation already loaded or None)."""
    key = message.conversation.key if message.conversation_id is not None else None
    row = tuple(key if column == "conversation__key" else getattr(message, column) for column in MESSAGE_OUT_COLUMNS)
    return message_rows_out([row])[0]


class MessageCreateSerializer(serializers.Serializer):
    recipient_id = serializers.IntegerField()
    content = _content()
    conversation_id = _conversation_id()


class AiMessageCreateSerializer(serializers.Serializer):
    # The AI route shares MessageCreate's shape, so clients still send `recipient_id`; it is accepted and ignored.
    recipient_id = serializers.IntegerField(required=False, allow_null=True)
    content = _content()
    conversation_id = _conversation_id()


class MessageUpdateSerializer(serializers.Serializer):
    content = _content(required=False, allow_null=True)


class ListFilterSerializer(serializers.Serializer):
    unread_only = serializers.BooleanField(required=False, default=False)


class UnreadCountSerializer(serializers.Serializer):
    unread_count = serializers.IntegerField()


class HistoryTurnSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=["user", "assistant"])
    content = serializers.CharField()
    failed = serializers.BooleanField(help_text="The assistant could not answer: this is its apology, not an answer.")


class HistoryOutSerializer(serializers.Serializer):
    history = HistoryTurnSerializer(many=True)
    message_count = serializers.IntegerField()


class ConversationOutSerializer(serializers.Serializer):
    conversation_id = serializers.CharField()
    other_user_id = serializers.IntegerField(allow_null=True)
    other_user_name = serializers.CharField()
    last_message = serializers.CharField()
    last_message_at = serializers.DateTimeField()
    unread_count = serializers.IntegerField()
    mode = serializers.CharField()
    last_message_failed = serializers.BooleanField(
        help_text="The last message is the assistant's apology for a turn it could not answer."
    )
