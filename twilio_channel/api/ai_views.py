"""The AI helpers of the staff API: read the body with
the view's serializer, call one service of `twilio_channel.services.ai_helpers`, answer in the staff
API's shapes."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from twilio_channel.api import serializers as s
from twilio_channel.api.fields import clamp_int
from twilio_channel.api.serializers import staff_input
from twilio_channel.api.views import TAGS, SuperuserAPIView, limit_parameter
from twilio_channel.services import ai_helpers

LLM_ERRORS = {
    400: OpenApiResponse(description="No OpenAI key, or no conversation partner's number."),
    502: OpenApiResponse(description="The LLM request failed or returned no content."),
}
SEND_ERRORS = {
    **LLM_ERRORS,
    202: OpenApiResponse(description="Twilio was busy or unreachable: queued (`sid` null), sent with backoff."),
    409: OpenApiResponse(description="Recipient opted out, or the WhatsApp window is closed."),
    429: OpenApiResponse(description="Too many messages to this recipient this minute."),
    503: OpenApiResponse(description="Twilio is not configured."),
}


def _sender_id(request: Request) -> int | None:
    return getattr(request.user, "pk", None)  # None for the API key, which has no user row


class AITestView(SuperuserAPIView):
    input_serializer = s.AITestInSerializer

    @extend_schema(responses={200: s.AITestOutSerializer, **LLM_ERRORS}, tags=TAGS)
    def post(self, request: Request) -> Response:
        """What the model would answer in a thread. No SMS is sent and nothing is stored."""
        result = ai_helpers.ai_test(**staff_input(self.input_serializer, request))
        return Response(result)


class AIConversationView(SuperuserAPIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("participant", str, description="Default: the configured target number."),
            limit_parameter(ai_helpers.CONVERSATION_LIMIT_DEFAULT, ai_helpers.LIMIT_MAX),
        ],
        responses={200: s.AIConversationSerializer},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        """The thread the AI sees for a number, oldest first, matched on the normalised number."""
        limit = clamp_int(
            request.query_params.get("limit"),
            default=ai_helpers.CONVERSATION_LIMIT_DEFAULT,
            low=1,
            high=ai_helpers.LIMIT_MAX,
        )
        return Response(ai_helpers.ai_conversation(participant=request.query_params.get("participant"), limit=limit))


def _sent_status(result: dict) -> int:
    """201 once Twilio took the message; 202 while it waits in the `sends` queue (Twilio was busy)."""
    return status.HTTP_202_ACCEPTED if result["sid"] is None else status.HTTP_201_CREATED


class AISendView(SuperuserAPIView):
    input_serializer = s.AISendInSerializer

    @extend_schema(responses={201: s.AISendOutSerializer, **SEND_ERRORS}, tags=TAGS)
    def post(self, request: Request) -> Response:
        """Generate a message for a thread and send it now, to `participant` or the target."""
        result = ai_helpers.ai_send(**staff_input(self.input_serializer, request), sender_id=_sender_id(request))
        return Response(result, status=_sent_status(result))


class AIReplyView(SuperuserAPIView):
    input_serializer = s.AIReplyInSerializer

    @extend_schema(responses={201: s.AIReplyOutSerializer, **SEND_ERRORS}, tags=TAGS)
    def post(self, request: Request) -> Response:
        """Answer a participant from the number they wrote to."""
        result = ai_helpers.ai_reply(**staff_input(self.input_serializer, request), sender_id=_sender_id(request))
        return Response(result, status=_sent_status(result))
