"""Reads of the Twilio channel for the staff API, the staff panel and the command line:
the message log over the shared Message table, phone threads, stats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Q, QuerySet

from inbox.channels import channel_names, get_channel
from inbox.models import Contact
from messaging.enums import Channel, ConversationKind, ConversationMode, Direction
from messaging.models import Conversation, Message
from messaging.selectors.keys import phone_conversation_key
from twilio_channel.addresses import channel_of, participant_number

TWILIO_CHANNELS = (Channel.SMS, Channel.WHATSAPP)


def channel_messages() -> QuerySet[Message]:
    """Messages that went over Twilio (T5: web and API traffic shares the table but not the log)."""
    return Message.objects.filter(channel__in=TWILIO_CHANNELS)


def external_messages() -> QuerySet[Message]:
    """Messages of every external channel (the inbox's): what the staff panel's table shows."""
    return Message.objects.filter(channel__in=channel_names())


def thread_address(participant: str) -> tuple[str, str]:
    """The channel and address of a thread's participant as the chat view names it: `+48…` (SMS),
    `whatsapp:+48…`, or `<channel>:<address>` for a channel whose addresses are no numbers
    (`telegram:123…`)."""
    head, colon, rest = participant.strip().partition(":")
    if colon and head in channel_names() and not get_channel(head).phone_addresses:
        return head, rest
    return channel_of(participant), participant_number(participant)


def message_dict(message: Message) -> dict:
    """The staff API's message shape, plus the channel, media and a resend's origin."""
    return {
        "id": message.pk,
        "sid": message.twilio_sid,
        "direction": message.direction,
        "to_number": message.to_number,
        "from_number": message.from_number,
        "body": message.content,
        "status": message.status,
        "error": message.error,
        "channel": message.channel,
        "num_media": message.num_media or len(message.media or []),
        "media": message.media or [],
        "retry_of": message.retry_of_id,
        "reply_state": message.reply_state,
        "created_at": message.created_at,
        "updated_at": message.updated_at,
    }


def message_list(*, limit: int, direction: str | None = None) -> list[Message]:
    """T5: newest first."""
    rows = channel_messages()
    if direction in (Direction.INBOUND, Direction.OUTBOUND):
        rows = rows.filter(direction=direction)
    return list(rows.order_by("-created_at", "-id")[:limit])


def message_stats() -> dict:
    """T14: counts per direction and the newest message."""
    counts = channel_messages().aggregate(
        total=Count("id"),
        inbound=Count("id", filter=Q(direction=Direction.INBOUND)),
        outbound=Count("id", filter=Q(direction=Direction.OUTBOUND)),
    )
    latest = channel_messages().order_by("-created_at", "-id").first()
    return {**counts, "latest": latest}


def panel_message_list(*, limit: int, direction: str | None = None) -> list[Message]:
    """The staff panel's table: every external channel's messages, newest first."""
    rows = external_messages()
    if direction in (Direction.INBOUND, Direction.OUTBOUND):
        rows = rows.filter(direction=direction)
    return list(rows.order_by("-created_at", "-id")[:limit])


def message_get(*, message_id: int) -> Message | None:
    return channel_messages().filter(pk=message_id).first()


@dataclass(frozen=True)
class PhoneThreadSummary:
    participant: str  # the raw address of the latest message: `whatsapp:` kept, so it opens its thread
    last_body: str
    last_direction: str
    last_status: str | None
    last_error: str | None
    last_created_at: datetime
    last_updated_at: datetime
    total_messages: int


def phone_thread_list(*, limit: int) -> list[PhoneThreadSummary]:
    """T6: one row per external number and channel, newest first, in two queries."""
    groups = list(
        channel_messages()
        .exclude(participant_number__isnull=True)
        .exclude(participant_number="")
        .values("participant_number", "channel")
        .annotate(total=Count("id"), last_at=Max("created_at"))
        .order_by("-last_at")[:limit]
    )
    if not groups:
        return []
    # The newest row of each group: the rows at its latest time (the highest id if several).
    wanted = Q()
    for group in groups:
        wanted |= Q(
            participant_number=group["participant_number"], channel=group["channel"], created_at=group["last_at"]
        )
    last: dict[tuple[str | None, str], Message] = {}
    for row in channel_messages().filter(wanted).order_by("id"):
        last[(row.participant_number, row.channel)] = row
    rows = []
    for group in groups:
        message = last.get((group["participant_number"], group["channel"]))
        if message is None:
            continue
        raw = message.from_number if message.direction == Direction.INBOUND else message.to_number
        rows.append(
            PhoneThreadSummary(
                participant=raw or message.participant_number or "",
                last_body=message.content,
                last_direction=message.direction,
                last_status=message.status,
                last_error=message.error,
                last_created_at=message.created_at,
                last_updated_at=message.updated_at,
                total_messages=group["total"],
            )
        )
    return rows


@dataclass(frozen=True)
class PhoneThread:
    participant: str
    number: str
    channel: str
    messages: list[Message]
    window_expires_at: datetime | None
    opted_out: bool
    mode: str


def phone_thread_get(*, participant: str, limit: int) -> PhoneThread:
    """T7: the thread with one number on one channel (SMS and WhatsApp stay apart), oldest first,
    the newest `limit` of it; with the contact's window and opt-out and the conversation's mode.
    Any other channel's thread too (`telegram:123…`, see thread_address)."""
    channel, number = thread_address(participant)
    newest = list(
        Message.objects.filter(participant_number=number, channel=channel).order_by("-created_at", "-id")[:limit]
    )
    contact = Contact.objects.filter(address=number, channel=channel).first()
    conversation = phone_thread_conversation(participant=participant)
    return PhoneThread(
        participant=participant,
        number=number,
        channel=channel,
        messages=newest[::-1],
        window_expires_at=contact.window_expires_at if contact is not None else None,
        opted_out=bool(contact and contact.opted_out),
        mode=conversation.mode if conversation is not None else ConversationMode.AI,
    )


def phone_thread_conversation(*, participant: str) -> Conversation | None:
    """The conversation whose mode the staff switch for `participant` (T7's `mode`)."""
    channel, number = thread_address(participant)
    conversation = Conversation.objects.filter(
        key=phone_conversation_key(number=number, channel=channel), kind=ConversationKind.PHONE
    ).first()
    if conversation is not None:
        return conversation
    latest = (
        Message.objects.filter(participant_number=number, channel=channel, conversation__isnull=False)
        .order_by("-created_at", "-id")
        .select_related("conversation")
        .first()
    )
    return latest.conversation if latest is not None else None
