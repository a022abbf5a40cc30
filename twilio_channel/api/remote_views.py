"""Twilio's own copy of the messages over the staff API: the remote list
and fetch, redaction and deletion. Each calls Twilio first and then upserts or changes the local
row; the service raises the domain errors (core.api.errors renders them as `{"error": ...}`)."""

from __future__ import annotations

from datetime import datetime

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from twilio_channel.api import serializers as s
from twilio_channel.api.fields import clamp_int
from twilio_channel.api.views import TAGS, SuperuserAPIView, limit_parameter
from twilio_channel.services import remote

NOT_CONFIGURED = OpenApiResponse(description="Twilio is not configured.")


def iso_datetime(raw: str | None) -> datetime | None:
    """An ISO 8601 date or time (`Z` allowed); anything unparsable is dropped (no filter)."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None


def _text(raw: str | None) -> str | None:
    return (raw or "").strip() or None


def _date_parameter(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, str, description=f"{description} ISO 8601; an unparsable value is ignored.")


class RemoteMessageListView(SuperuserAPIView):
    @extend_schema(
        parameters=[
            limit_parameter(20, 100),
            OpenApiParameter("to", str, description="Only messages to this address."),
            OpenApiParameter("from", str, description="Only messages from this address."),
            _date_parameter("date_sent", "Sent on this day."),
            _date_parameter("date_sent_before", "Sent on or before."),
            _date_parameter("date_sent_after", "Sent on or after."),
        ],
        operation_id="api_messages_remote_list",
        responses={
            200: s.TwilioListSerializer,
            502: OpenApiResponse(description="Twilio failed: its error code and HTTP status."),
            503: NOT_CONFIGURED,
        },
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        """The newest messages straight from Twilio (unthrottled), each upserted locally; the
        newest inbound one may be answered as after a sync."""
        query = request.query_params
        items = remote.remote_list(
            limit=clamp_int(query.get("limit"), default=20, low=1, high=100),
            to=_text(query.get("to")),
            from_=_text(query.get("from")),
            date_sent=iso_datetime(query.get("date_sent")),
            date_sent_before=iso_datetime(query.get("date_sent_before")),
            date_sent_after=iso_datetime(query.get("date_sent_after")),
        )
        return Response({"items": items, "count": len(items)})


class RemoteMessageView(SuperuserAPIView):
    @extend_schema(
        operation_id="api_messages_remote_retrieve",
        responses={
            200: s.TwilioItemSerializer,
            404: OpenApiResponse(description="Twilio has no message with this SID."),
            502: OpenApiResponse(description="Twilio failed: its error code and HTTP status."),
            503: NOT_CONFIGURED,
        },
        tags=TAGS,
    )
    def get(self, request: Request, sid: str) -> Response:
        """One message fetched from Twilio, upserted locally."""
        return Response({"item": remote.remote_fetch(sid=sid)})

    @extend_schema(
        operation_id="api_messages_remote_destroy",
        responses={
            200: s.DeleteOutSerializer,
            400: OpenApiResponse(description="Twilio refused or failed; the local row is kept."),
            503: NOT_CONFIGURED,
        },
        tags=TAGS,
    )
    def delete(self, request: Request, sid: str) -> Response:
        """Delete the message in Twilio, then the local row."""
        return Response(remote.remote_delete(sid=sid))


class RemoteMessageRedactView(SuperuserAPIView):
    @extend_schema(
        operation_id="api_messages_redact",
        request=None,
        responses={
            200: s.RedactOutSerializer,
            400: OpenApiResponse(description="Twilio refused or failed; the local row is kept."),
            503: NOT_CONFIGURED,
        },
        tags=TAGS,
    )
    def post(self, request: Request, sid: str) -> Response:
        """Blank the body in Twilio, then in the local row."""
        request.data  # noqa: B018  no fields, but a malformed body is refused like on every staff write
        return Response(remote.remote_redact(sid=sid))
