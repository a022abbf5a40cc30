"""Shapes of the staff API for the OpenAPI schema (CONTRACT §3.0–3.2). Requests are read with seed
2's leniency (twilio_channel.api.parsing), so these describe the bodies; they do not parse them."""

from rest_framework import serializers


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
        help_text="Inbound: its automatic reply (`skipped`: none, e.g. over the flood limit).",
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class MessageListSerializer(serializers.Serializer):
    items = MessageDictSerializer(many=True)
    count = serializers.IntegerField()


class SendMessageInSerializer(serializers.Serializer):
    to = serializers.CharField(help_text="`+E164`, or `whatsapp:+E164`.")
    body = serializers.CharField(required=False)
    content_sid = serializers.CharField(required=False, help_text="A Content API template (WhatsApp).")
    content_variables = serializers.JSONField(required=False, help_text="An object, or its JSON text.")
    media_urls = serializers.JSONField(required=False, help_text="One http(s) URL or a list of up to 10.")
    messaging_service_sid = serializers.CharField(required=False)
    use_messaging_service = serializers.BooleanField(required=False, allow_null=True)


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
    mode = serializers.ChoiceField(choices=["ai", "human"])


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


class AIConfigInSerializer(serializers.Serializer):
    enabled = serializers.BooleanField(required=False, help_text="Absent: unchanged, as every field here.")
    target_number = serializers.CharField(required=False)
    system_prompt = serializers.CharField(required=False)
    model = serializers.CharField(
        required=False,
        help_text="A model name (gpt-4o, anthropic/claude-3-5-sonnet-latest), never a URL; a provider prefix "
        "must be in AI_MODEL_PROVIDERS. Empty: LITELLM_MODEL.",
    )
    temperature = serializers.FloatField(required=False)
    api_key = serializers.CharField(required=False, help_text="Absent: unchanged; empty: cleared.")


class HealthSerializer(serializers.Serializer):
    status = serializers.CharField()
    message = serializers.CharField()
    env = serializers.CharField()


# --- AI helpers (T4, T17–T19) ----------------------------------------------------------------


class AITestInSerializer(serializers.Serializer):
    participant = serializers.CharField(required=False, help_text="Default: the configured target number.")
    message = serializers.CharField(required=False, help_text="Default: the newest inbound message, if asked.")
    api_key = serializers.CharField(required=False, help_text="Used for this call only; never stored or echoed.")
    history_limit = serializers.IntegerField(required=False, help_text="Default 20, clamped to 1..200.")
    use_latest_message = serializers.BooleanField(required=False, default=True)


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
    participant = serializers.CharField(required=False, help_text="Default: the configured target number.")
    latest = serializers.CharField(required=False, help_text="Sent to the model as the newest user message.")
    history_limit = serializers.IntegerField(required=False, help_text="Default 20, clamped to 1..200.")
    api_key = serializers.CharField(required=False, help_text="Used for this call only; never stored or echoed.")


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
    inbound_from = serializers.CharField(help_text="The participant: the reply goes to this address.")
    inbound_to = serializers.CharField(help_text="Our number the participant wrote to: the reply comes from it.")
    latest = serializers.CharField(required=False)
    api_key = serializers.CharField(required=False, help_text="Used for this call only; never stored or echoed.")
    history_limit = serializers.IntegerField(required=False, help_text="Default 20, clamped to 1..200.")


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

# Seed 2's Twilio dict: `from` is a Python keyword, so this shape too is built with string names.
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
