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
    enabled = serializers.BooleanField()
    target_number = serializers.CharField(required=False)
    system_prompt = serializers.CharField(required=False)
    model = serializers.CharField(required=False, help_text='Empty: "gpt-4o-mini".')
    temperature = serializers.FloatField(required=False)
    api_key = serializers.CharField(required=False, help_text="Absent: unchanged; empty: cleared.")


class HealthSerializer(serializers.Serializer):
    status = serializers.CharField()
    message = serializers.CharField()
    env = serializers.CharField()
