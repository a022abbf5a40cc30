"""The staff API over the Twilio channel (`/api/...`, `{"error": ...}`): read
the body with the view's serializer, call one service or selector, answer. Errors speak the `error`
dialect (core.api.errors)."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import ApplicationError, NotFoundError
from inbox.models import AutoReplyConfig
from inbox.services.modes import UNCHANGED, ai_config_set, auto_reply_config_set
from messaging.enums import ModeReason
from messaging.services.conversations import conversation_mode_set
from orchestrator.models import AIConfig
from twilio_channel import selectors
from twilio_channel.api import serializers as s
from twilio_channel.api.access import STAFF_AUTHENTICATION, STAFF_PERMISSIONS, SUPERUSER_PERMISSIONS
from twilio_channel.api.fields import clamp_int
from twilio_channel.api.parsers import STAFF_PARSERS, StaffContentNegotiation
from twilio_channel.api.serializers import staff_input
from twilio_channel.services.remote import sync_request
from twilio_channel.services.staff_sends import outbound_retry, staff_send, staff_send_queued

TAGS = ["twilio"]
PARTICIPANT_REQUIRED = "Participant is required."
NO_CONVERSATION = "No conversation with this participant."


def limit_parameter(default: int, high: int) -> OpenApiParameter:
    return OpenApiParameter("limit", int, description=f"Default {default}, clamped to 1..{high}.")


class StaffAPIView(APIView):
    """Staff only (agents included): a session (CSRF on unsafe methods), a JWT, or `X-API-Key`.
    A body is a JSON object or a form (api.parsers), read by the view's `...In` serializer."""

    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = STAFF_PERMISSIONS
    parser_classes = STAFF_PARSERS
    content_negotiation_class = StaffContentNegotiation


class SuperuserAPIView(StaffAPIView):
    """Configuration and Twilio-account operations: superusers or `X-API-Key`, not agents."""

    permission_classes = SUPERUSER_PERMISSIONS


def _messages_out(messages) -> dict:
    items = [selectors.message_dict(message) for message in messages]
    return {"items": items, "count": len(items)}


class SendMessageView(StaffAPIView):
    input_serializer = s.SendMessageInSerializer

    @extend_schema(
        responses={
            200: s.SendMessageOutSerializer,
            202: OpenApiResponse(
                s.MessageDictSerializer,
                description="Twilio was busy or unreachable: the row, `queued`, is sent from the queue with backoff.",
            ),
            409: OpenApiResponse(description="Recipient opted out, or the WhatsApp window is closed."),
            429: OpenApiResponse(description="Too many messages to this recipient this minute."),
            502: OpenApiResponse(description="Twilio refused it for good; a `failed` row is kept."),
            503: OpenApiResponse(description="Twilio is not configured."),
        },
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        """Send one SMS or WhatsApp message now; the answer carries Twilio's SID."""
        data = staff_input(self.input_serializer, request)
        message = staff_send(**data, sender_id=request.user.pk)
        if staff_send_queued(message):  # Twilio busy or unreachable: the `sends` queue retries it
            return Response(selectors.message_dict(message), status=status.HTTP_202_ACCEPTED)
        return Response({"sid": message.twilio_sid, "status": message.status})


class MessageListView(StaffAPIView):
    @extend_schema(
        parameters=[
            limit_parameter(50, 500),
            OpenApiParameter("direction", str, enum=["inbound", "outbound"], description="Other values: all."),
        ],
        responses={200: s.MessageListSerializer},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        """The SMS and WhatsApp log, newest first."""
        limit = clamp_int(request.query_params.get("limit"), default=50, low=1, high=500)
        sync_request(limit=limit)  # throttled, in a task: this answer is the DB as it is now
        return Response(
            _messages_out(selectors.message_list(limit=limit, direction=request.query_params.get("direction")))
        )


class MessageStatsView(StaffAPIView):
    @extend_schema(responses={200: s.StatsSerializer}, tags=TAGS)
    def get(self, request: Request) -> Response:
        """Message counts and the newest message."""
        sync_request()  # throttled, in a task: this answer is the DB as it is now
        stats = selectors.message_stats()
        latest = stats.pop("latest")
        return Response({**stats, "latest": selectors.message_dict(latest) if latest is not None else None})


class MessageRetryView(StaffAPIView):
    @extend_schema(
        request=None,
        responses={
            202: s.MessageDictSerializer,
            404: OpenApiResponse(description="No such SMS or WhatsApp message."),
            409: OpenApiResponse(description="Not a failed outbound message, or the recipient refuses it now."),
        },
        tags=TAGS,
    )
    def post(self, request: Request, message_id: int) -> Response:
        """Resend a failed message: a new row (`retry_of` = the failed one), sent from the queue."""
        request.data  # noqa: B018  no fields, but a malformed body is refused like on every staff write
        retry = outbound_retry(message_id=message_id)
        return Response(selectors.message_dict(retry), status=status.HTTP_202_ACCEPTED)


class ConversationListView(StaffAPIView):
    @extend_schema(parameters=[limit_parameter(30, 200)], responses={200: s.PhoneThreadListSerializer}, tags=TAGS)
    def get(self, request: Request) -> Response:
        """One row per number and channel, newest first."""
        limit = clamp_int(request.query_params.get("limit"), default=30, low=1, high=200)
        rows = selectors.phone_thread_list(limit=limit)
        return Response({"items": [row.__dict__ for row in rows], "count": len(rows)})


def _participant(raw: str) -> str:
    participant = (raw or "").strip()
    if not participant:
        raise ApplicationError(PARTICIPANT_REQUIRED, extra={"field": "participant"})
    return participant


class ConversationView(StaffAPIView):
    @extend_schema(
        operation_id="api_conversation_thread",
        parameters=[limit_parameter(200, 500)],
        responses={200: s.PhoneThreadSerializer},
        tags=TAGS,
    )
    def get(self, request: Request, participant: str) -> Response:
        """The thread with one number (`+48…`, or `whatsapp:+48…` for the WhatsApp thread),
        oldest first, with its WhatsApp window, opt-out and AI/human mode."""
        limit = clamp_int(request.query_params.get("limit"), default=200, low=1, high=500)
        sync_request()  # throttled, in a task: this answer is the DB as it is now
        thread = selectors.phone_thread_get(participant=_participant(participant), limit=limit)
        out = _messages_out(thread.messages)
        return Response(
            {
                "participant": thread.participant,
                **out,
                "window_expires_at": thread.window_expires_at,
                "opted_out": thread.opted_out,
                "mode": thread.mode,
            }
        )


class ConversationModeView(StaffAPIView):
    input_serializer = s.ModeInSerializer

    @extend_schema(
        responses={200: s.ModeOutSerializer, 404: OpenApiResponse(description=NO_CONVERSATION)},
        tags=TAGS,
    )
    def post(self, request: Request, participant: str) -> Response:
        """Take a conversation over (`human`: the AI stays silent) or hand it back (`ai`)."""
        participant = _participant(participant)
        mode = staff_input(self.input_serializer, request)["mode"]
        conversation = selectors.phone_thread_conversation(participant=participant)
        if conversation is None:
            raise NotFoundError(NO_CONVERSATION)
        conversation_mode_set(
            conversation=conversation, mode=mode, reason=ModeReason.STAFF, source=f"staff {request.user}"
        )
        return Response({"participant": participant, "mode": conversation.mode})


def _auto_reply_out(config: AutoReplyConfig) -> dict:
    return {"enabled": config.enabled, "message": config.message, "enabled_since": config.enabled_since}


class AutoReplyConfigView(SuperuserAPIView):
    input_serializer = s.AutoReplyConfigInSerializer

    @extend_schema(responses={200: s.AutoReplyConfigSerializer}, tags=TAGS)
    def get(self, request: Request) -> Response:
        """The auto-reply switch and its text."""
        return Response(_auto_reply_out(AutoReplyConfig.load()))

    @extend_schema(responses={200: s.AutoReplyConfigSerializer}, tags=TAGS)
    def post(self, request: Request) -> Response:
        """Switch the auto-reply and set its text (≤ 640 characters); a field left out keeps its
        stored value. Turning it on turns the AI auto-reply off."""
        data = staff_input(self.input_serializer, request)
        auto_reply_config_set(enabled=data.get("enabled"), message=data.get("message"))  # absent: unchanged
        return Response(_auto_reply_out(AutoReplyConfig.load()))


def _ai_config_out(config: AIConfig) -> dict:
    return {
        "enabled": config.enabled,
        "system_prompt": config.system_prompt,
        "target_number": config.target_number,
        "target_number_normalized": config.target_number_normalized,
        "model": config.model,
        "temperature": config.temperature,
        "updated_at": config.updated_at,
        "has_api_key": config.has_api_key,
        "api_key_preview": config.api_key_preview,
    }


class AIConfigView(SuperuserAPIView):
    input_serializer = s.AIConfigInSerializer

    @extend_schema(responses={200: s.AIConfigOutSerializer}, tags=TAGS)
    def get(self, request: Request) -> Response:
        """The AI auto-reply's settings; the key only as a masked preview."""
        return Response(_ai_config_out(AIConfig.load()))

    @extend_schema(responses={200: s.AIConfigOutSerializer}, tags=TAGS)
    def post(self, request: Request) -> Response:
        """Switch the AI auto-reply and change its settings. Turning it on turns the auto-reply
        off. A field left out keeps its stored value; an empty `api_key` clears the key."""
        data = staff_input(self.input_serializer, request)
        api_key = data.get("api_key", UNCHANGED)
        config = ai_config_set(  # a field left out is None: unchanged, as the switch
            enabled=data.get("enabled"),
            target_number=data.get("target_number"),
            system_prompt=data.get("system_prompt"),
            model=data.get("model"),
            temperature=data.get("temperature"),
            api_key="" if api_key is None else api_key,
        )
        return Response(_ai_config_out(config))


class HealthView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: s.HealthSerializer}, tags=TAGS)
    def get(self, request: Request) -> Response:
        """Public: the Twilio side of the server is up."""
        return Response({"status": "ok", "message": "Twilio Chat App running", "env": settings.APP_ENV})
