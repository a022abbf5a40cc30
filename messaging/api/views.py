"""Public API: `/messages` (M1–M14) and `/auth/conversations` (A24–A27) endpoints:
parse, check access (`messaging.access`, inside the services), call one service or selector, serialise."""

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import MessageOutSerializer as AckSerializer
from core.api import ack, validated
from core.lists import list_window
from messaging import access
from messaging.api import serializers as s
from messaging.enums import Channel
from messaging.selectors.history import ai_history_for_user
from messaging.selectors.lists import (
    conversation_list,
    conversation_messages,
    message_list,
    message_list_received,
    message_list_sent,
    message_unread_count,
)
from messaging.services.conversations import ai_history_clear, conversation_mark_read
from messaging.services.messages import (
    message_delete,
    message_mark_read,
    message_send,
    message_send_to_bot_and_wait,
    message_update,
    messages_mark_all_read,
)

RECIPIENT_NOT_FOUND = OpenApiResponse(description="Recipient not found.")
UNREAD_ONLY = [OpenApiParameter("unread_only", bool)]
# GET /messages and /messages/received: a window of messages, optionally the unread ones only.
UNREAD_FILTERED_LIST = extend_schema(
    parameters=UNREAD_ONLY, responses={200: s.MessageOutSerializer(many=True)}, tags=["messages"]
)


def request_channel(request: Request) -> str:
    """`api` for clients that say so with `X-Client-Channel: api`, otherwise `web`."""
    header = request.headers.get("X-Client-Channel", "").strip().lower()
    return Channel.API if header == Channel.API else Channel.WEB


# The lists read their rows as s.MESSAGE_OUT_COLUMNS and answer plain dicts (s.message_rows_out).
COLUMNS = s.MESSAGE_OUT_COLUMNS


def message_out(message, code: int = status.HTTP_200_OK) -> Response:
    # The serializer's data, not a plain dict: the browsable API fills the PUT form from its instance.
    return Response(s.MessageOutSerializer(message).data, status=code)


def unread_only(request: Request) -> bool:
    if "unread_only" not in request.query_params:  # the serializer's default, without building it
        return False
    return validated(s.ListFilterSerializer, request.query_params)["unread_only"]


# --- /messages ------------------------------------------------------------------------------


class MessagesView(APIView):
    input_serializer = s.MessageCreateSerializer
    windowed = True

    @UNREAD_FILTERED_LIST
    def get(self, request: Request) -> Response:
        rows = message_list(
            user_id=request.user.pk,
            window=list_window(request.query_params),
            unread_only=unread_only(request),
            columns=COLUMNS,
        )
        return Response(s.message_rows_out(rows))

    @extend_schema(
        responses={201: s.MessageOutSerializer, 404: RECIPIENT_NOT_FOUND},
        tags=["messages"],
    )
    def post(self, request: Request) -> Response:
        data = validated(self.input_serializer, request.data)
        message = message_send(
            sender=request.user,
            recipient_id=data["recipient_id"],
            content=data["content"],
            conversation_key=data["conversation_id"] or None,
            channel=request_channel(request),
        )
        return Response(s.message_out(message), status=status.HTTP_201_CREATED)


class SentView(APIView):
    windowed = True

    @extend_schema(responses={200: s.MessageOutSerializer(many=True)}, tags=["messages"])
    def get(self, request: Request) -> Response:
        rows = message_list_sent(user_id=request.user.pk, window=list_window(request.query_params), columns=COLUMNS)
        return Response(s.message_rows_out(rows))


class ReceivedView(APIView):
    windowed = True

    @UNREAD_FILTERED_LIST
    def get(self, request: Request) -> Response:
        rows = message_list_received(
            user_id=request.user.pk,
            window=list_window(request.query_params),
            unread_only=unread_only(request),
            columns=COLUMNS,
        )
        return Response(s.message_rows_out(rows))


class UnreadCountView(APIView):
    @extend_schema(responses={200: s.UnreadCountSerializer}, tags=["messages"])
    def get(self, request: Request) -> Response:
        return Response({"unread_count": message_unread_count(user_id=request.user.pk)})


class ReadAllView(APIView):
    @extend_schema(request=None, responses={200: AckSerializer}, tags=["messages"])
    def put(self, request: Request) -> Response:
        messages_mark_all_read(user=request.user)
        return ack("All messages marked as read")


class HistoryView(APIView):
    @extend_schema(responses={200: s.HistoryOutSerializer}, tags=["messages"])
    def get(self, request: Request) -> Response:
        history = ai_history_for_user(user_id=request.user.pk)
        return Response({"history": history, "message_count": len(history)})


class HistoryClearView(APIView):
    @extend_schema(responses={200: AckSerializer}, tags=["messages"])
    def delete(self, request: Request) -> Response:
        ai_history_clear(user=request.user)
        return ack("Chat history cleared successfully")


# CONTRACT M11/M12. The class docstring is the operation's description in the OpenAPI schema.
class AiMessageView(APIView):
    """Send a message to the AI assistant and wait for its reply, which is returned. The message and
    the reply are both stored in the caller's conversation with the assistant. `recipient_id` is
    accepted and ignored. When the assistant cannot answer in time, the reply is a short apology."""

    input_serializer = s.AiMessageCreateSerializer

    @extend_schema(
        responses={200: s.MessageOutSerializer},
        tags=["messages"],
    )
    def post(self, request: Request) -> Response:
        data = validated(self.input_serializer, request.data)
        reply = message_send_to_bot_and_wait(
            sender=request.user,
            content=data["content"],
            conversation_key=data["conversation_id"] or None,
            channel=request_channel(request),
        )
        return message_out(reply)


class MessageDetailView(APIView):
    input_serializer = s.MessageUpdateSerializer

    @extend_schema(responses={200: s.MessageOutSerializer}, tags=["messages"])
    def get(self, request: Request, message_id: int) -> Response:
        return message_out(access.message_get_for_view(user_id=request.user.pk, message_id=message_id))

    @extend_schema(responses={200: s.MessageOutSerializer}, tags=["messages"])
    def put(self, request: Request, message_id: int) -> Response:
        data = validated(self.input_serializer, request.data)
        message = message_update(user=request.user, message_id=message_id, content=data.get("content"))
        return message_out(message)

    @extend_schema(responses={200: AckSerializer}, tags=["messages"])
    def delete(self, request: Request, message_id: int) -> Response:
        message_delete(user=request.user, message_id=message_id)
        return ack("Message deleted successfully")


class MessageReadView(APIView):
    @extend_schema(request=None, responses={200: AckSerializer}, tags=["messages"])
    def put(self, request: Request, message_id: int) -> Response:
        message_mark_read(user=request.user, message_id=message_id)
        return ack("Message marked as read")


# --- /auth/conversations --------------------------------------------------------------------


class ConversationsView(APIView):
    windowed = True

    @extend_schema(responses={200: s.ConversationOutSerializer(many=True)}, tags=["conversations"])
    def get(self, request: Request) -> Response:
        # Every conversation is returned: without `limit` the window is the cap (as for sessions).
        window = list_window(request.query_params, default_limit=settings.LIST_LIMIT_MAX)
        rows = conversation_list(user_id=request.user.pk, window=window)
        return Response(s.ConversationOutSerializer(rows, many=True).data)


class ConversationMessagesView(APIView):
    input_serializer = s.MessageCreateSerializer
    windowed = True

    @extend_schema(responses={200: s.MessageOutSerializer(many=True)}, tags=["conversations"])
    def get(self, request: Request, conversation_id: str) -> Response:
        rows = conversation_messages(
            user_id=request.user.pk,
            conversation_key=conversation_id,
            window=list_window(request.query_params),
            columns=COLUMNS,
        )
        return Response(s.message_rows_out(rows))

    @extend_schema(
        responses={200: s.MessageOutSerializer, 404: RECIPIENT_NOT_FOUND},
        tags=["conversations"],
    )
    def post(self, request: Request, conversation_id: str) -> Response:
        data = validated(self.input_serializer, request.data)
        message = message_send(
            sender=request.user,
            recipient_id=data["recipient_id"],
            content=data["content"],
            conversation_key=conversation_id,  # the path wins over the body
            channel=request_channel(request),
            allow_bot=False,  # this path never talks to the AI
        )
        return Response(s.message_out(message))


class ConversationReadView(APIView):
    @extend_schema(request=None, responses={200: AckSerializer}, tags=["conversations"])
    def put(self, request: Request, conversation_id: str) -> Response:
        conversation_mark_read(user=request.user, conversation_key=conversation_id)
        return ack("Conversation marked as read")
