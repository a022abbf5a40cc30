"""Shapes of the staff API. The `...In` serializers read the request bodies
(`staff_input`) and document them, with the field rules of api.fields; the others document the
answers for the OpenAPI schema."""

from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request

from core.exceptions import ApplicationError
from messaging.enums import ConversationMode
from twilio_channel.api.fields import (
    ClampedIntegerField,
    JSONObjectField,
    StrictBooleanField,
    TextField,
    URLListField,
)
from twilio_channel.api.parsers import form_dict
from twilio_channel.services import ai_helpers

TO_REQUIRED = "Field 'to' is required."
MODE_INVALID = "Field 'mode' must be 'ai' or 'human'."


def staff_input(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """The body read by its serializer; the first field at fault is a 400 in the staff API's
    dialect, its sentence alone (`{"error": "Field 'to' is required."}`). A field left out is not
    in the result (a partial update keeps its stored value) unless it has a default."""
    data = request.data
    if not isinstance(data, dict):  # a form Django read before the parsers (a session's CSRF check)
        data = form_dict(data)
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        field, errors = next(iter(serializer.errors.items()))
        raise ApplicationError(str(errors[0]), extra={"field": field})
    return dict(serializer.validated_data)


def _history_limit() -> ClampedIntegerField:
    return ClampedIntegerField(default=ai_helpers.HISTORY_LIMIT_DEFAULT, low=1, high=ai_helpers.LIMIT_MAX)


class MessageDictSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sid = serializers.CharField(allow_null=True)
    direction = serializers.ChoiceField(choices=["inbound", "outbound"])
    to_number = serializers.CharField(allow_null=True)
    from_number = serializers.CharField(allow_null=True)
    body = serializers.CharField()
    status = serializers.CharField(allow_null=True)
    error = serializers.CharField(allow_null=True)
    channel = serializers.ChoiceField(choices=["sms", "whatsapp"])
    num_media = serializers.IntegerField()
    media = serializers.ListField(child=serializers.DictField())
    retry_of = serializers.IntegerField(allow_null=True, help_text="The failed message this one resends.")
    reply_state = serializers.ChoiceField(
        choices=["none", "pending", "processing", "done", "skipped", "failed"],
        help_text="Inbound: its automatic reply (`skipped`: none, e.g. stopped by the loop breaker).",
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class MessageListSerializer(serializers.Serializer):
    items = MessageDictSerializer(many=True)
    count = serializers.IntegerField()


class SendMessageInSerializer(serializers.Serializer):
    to = TextField(required=True, error_messages={"required": TO_REQUIRED}, help_text="`+E164`, or `whatsapp:+E164`.")
    body = TextField(default="")
    content_sid = TextField(default="", help_text="A Content API template (WhatsApp).")
    content_variables = JSONObjectField(help_text="An object, or its JSON text.")
    media_urls = URLListField(help_text="One http(s) URL or a list of up to 10.")
    messaging_service_sid = TextField(default="")
    use_messaging_service = StrictBooleanField(allow_null=True)

    def validate_to(self, value: str | None) -> str:
        if not value or not value.strip():
            raise serializers.ValidationError(TO_REQUIRED)
        return value

    def validate_body(self, value: str | None) -> str:
        return value or ""

    def validate_content_sid(self, value: str | None) -> str:
        return (value or "").strip()

    def validate_messaging_service_sid(self, value: str | None) -> str:
        return (value or "").strip()


class SendMessageOutSerializer(serializers.Serializer):
    sid = serializers.CharField()
    status = serializers.CharField()


class PhoneThreadSummarySerializer(serializers.Serializer):
    participant = serializers.CharField()
    last_body = serializers.CharField()
    last_direction = serializers.CharField()
    last_status = serializers.CharField(allow_null=True)
    last_error = serializers.CharField(allow_null=True)
    last_created_at = serializers.DateTimeField()
    last_updated_at = serializers.DateTimeField()
    total_messages = serializers.IntegerField()


class PhoneThreadListSerializer(serializers.Serializer):
    items = PhoneThreadSummarySerializer(many=True)
    count = serializers.IntegerField()


class PhoneThreadSerializer(serializers.Serializer):
    participant = serializers.CharField()
    items = MessageDictSerializer(many=True)
    count = serializers.IntegerField()
    window_expires_at = serializers.DateTimeField(allow_null=True, help_text="WhatsApp only; null for SMS.")
    opted_out = serializers.BooleanField()
    mode = serializers.ChoiceField(choices=["ai", "human"])


class ModeInSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(
        choices=ConversationMode.values,
        error_messages={"required": MODE_INVALID, "null": MODE_INVALID, "invalid_choice": MODE_INVALID},
    )


class ModeOutSerializer(serializers.Serializer):
    participant = serializers.CharField()
    mode = serializers.ChoiceField(choices=["ai", "human"])


class StatsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    inbound = serializers.IntegerField()
    outbound = serializers.IntegerField()
    latest = MessageDictSerializer(allow_null=True)


class AutoReplyConfigSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    message = serializers.CharField(allow_blank=True)
    enabled_since = serializers.DateTimeField(allow_null=True, read_only=True)


@extend_schema_serializer(component_name="AutoReplyConfig")  # its body: AutoReplyConfigRequest
class AutoReplyConfigInSerializer(serializers.Serializer):
    enabled = StrictBooleanField(help_text="Absent: unchanged, as every field here.")
    message = TextField(help_text="At most 640 characters; required while the auto-reply is on.")


class AIConfigOutSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    system_prompt = serializers.CharField()
    target_number = serializers.CharField()
    target_number_normalized = serializers.CharField()
    model = serializers.CharField()
    temperature = serializers.FloatField()
    updated_at = serializers.DateTimeField(allow_null=True)
    has_api_key = serializers.BooleanField()
    api_key_preview = serializers.CharField(allow_null=True, help_text="The last 4 characters; the key is never sent.")


class TemperatureField(serializers.FloatField):
    """Documented as a number; read as sent, for the service's own rule (services.modes), which the
    panel and the admin share."""

    def to_internal_value(self, data: Any) -> Any:
        return data


class AIConfigInSerializer(serializers.Serializer):
    api_key = TextField(help_text="Absent: unchanged; empty or null: cleared.")
    enabled = StrictBooleanField(help_text="Absent: unchanged, as every field here.")
    target_number = TextField()
    system_prompt = TextField()
    model = TextField(
        help_text="A model name (gpt-4o, anthropic/claude-3-5-sonnet-latest), never a URL; a provider prefix "
        "must be in AI_MODEL_PROVIDERS. Empty: LITELLM_MODEL.",
    )
    temperature = TemperatureField(required=False, allow_null=True)


class HealthSerializer(serializers.Serializer):
    status = serializers.CharField()
    message = serializers.CharField()
    env = serializers.CharField()


# --- AI helpers (T4, T17–T19) ----------------------------------------------------------------


class AITestInSerializer(serializers.Serializer):
    participant = TextField(help_text="Default: the configured target number.")
    message = TextField(help_text="Default: the newest inbound message, if asked.")
    api_key = TextField(help_text="Used for this call only; never stored or echoed.")
    history_limit = _history_limit()
    use_latest_message = StrictBooleanField(default=True)


class AITestOutSerializer(serializers.Serializer):
    participant = serializers.CharField()
    participant_normalized = serializers.CharField()
    input = serializers.CharField()
    reply = serializers.CharField()
    model = serializers.CharField()
    temperature = serializers.FloatField(allow_null=True)
    history_limit = serializers.IntegerField()
    used_latest_message = serializers.BooleanField()
    latest_message = MessageDictSerializer(allow_null=True)
    fallback_used = serializers.BooleanField()


class AIConversationSerializer(serializers.Serializer):
    participant = serializers.CharField(help_text='The normalised number; "" when nothing normalises.')
    items = MessageDictSerializer(many=True)


class AISendInSerializer(serializers.Serializer):
    participant = TextField(help_text="Default: the configured target number.")
    latest = TextField(help_text="Sent to the model as the newest user message.")
    history_limit = _history_limit()
    api_key = TextField(help_text="Used for this call only; never stored or echoed.")


class AISendOutSerializer(serializers.Serializer):
    to = serializers.CharField()
    to_normalized = serializers.CharField()
    body = serializers.CharField()
    sid = serializers.CharField()
    status = serializers.CharField()
    model = serializers.CharField()
    temperature = serializers.FloatField(allow_null=True)
    history_limit = serializers.IntegerField()
    origin_number = serializers.CharField(allow_null=True, help_text="Null when sent through a messaging service.")


class AIReplyInSerializer(serializers.Serializer):
    # Left out, either is refused with the service's one text for both.
    inbound_from = TextField(
        required=True,
        error_messages={"required": ai_helpers.REPLY_FIELDS_REQUIRED},
        help_text="The participant: the reply goes to this address.",
    )
    inbound_to = TextField(
        required=True,
        error_messages={"required": ai_helpers.REPLY_FIELDS_REQUIRED},
        help_text="Our number the participant wrote to: the reply comes from it.",
    )
    latest = TextField()
    api_key = TextField(help_text="Used for this call only; never stored or echoed.")
    history_limit = _history_limit()


# `from` is a Python keyword, so this shape is built with its field names as strings.
AIReplyOutSerializer = type(
    "AIReplyOutSerializer",
    (serializers.Serializer,),
    {
        "to": serializers.CharField(),
        "from": serializers.CharField(),
        "body": serializers.CharField(),
        "sid": serializers.CharField(),
        "status": serializers.CharField(),
        "model": serializers.CharField(),
        "temperature": serializers.FloatField(allow_null=True),
        "history_limit": serializers.IntegerField(),
        "__module__": __name__,
    },
)


# --- Twilio's own copy of the messages (T8–T11) ----------------------------------------------

# Twilio's message dict: `from` is a Python keyword, so this shape too is built with string names.
TwilioDictSerializer = type(
    "TwilioDictSerializer",
    (serializers.Serializer,),
    {
        "sid": serializers.CharField(),
        "status": serializers.CharField(allow_null=True),
        "direction": serializers.CharField(allow_null=True, help_text="Twilio's: inbound, outbound-api, ..."),
        "from": serializers.CharField(allow_null=True),
        "to": serializers.CharField(allow_null=True),
        "body": serializers.CharField(allow_null=True),
        "num_media": serializers.CharField(allow_null=True, help_text="As Twilio gives it: a number in a string."),
        "num_segments": serializers.CharField(allow_null=True),
        "error_code": serializers.IntegerField(allow_null=True),
        "error_message": serializers.CharField(allow_null=True),
        "messaging_service_sid": serializers.CharField(allow_null=True),
        "price": serializers.CharField(allow_null=True),
        "price_unit": serializers.CharField(allow_null=True),
        "date_created": serializers.DateTimeField(allow_null=True),
        "date_updated": serializers.DateTimeField(allow_null=True),
        "date_sent": serializers.DateTimeField(allow_null=True),
        "__module__": __name__,
    },
)


class TwilioListSerializer(serializers.Serializer):
    items = TwilioDictSerializer(many=True)
    count = serializers.IntegerField()


class TwilioItemSerializer(serializers.Serializer):
    item = TwilioDictSerializer()


class RedactOutSerializer(serializers.Serializer):
    sid = serializers.CharField()
    body = serializers.CharField(allow_blank=True)
    status = serializers.CharField(allow_null=True)


class DeleteOutSerializer(serializers.Serializer):
    sid = serializers.CharField()
    deleted = serializers.BooleanField()
