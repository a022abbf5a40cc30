"""Conversation keys that belong to the channel pipeline (issue 22, point 1).

A thread with an external party lives under its channel's prefix and the party's number
(`phone:+48…`, `whatsapp:+48…`). Only the channel pipeline creates or writes there: a user who could
create a conversation under such a key before the number first wrote would have their text read
as the party's own turns. A new channel (say Telegram) adds its prefix here, and with it the key
space is reserved everywhere."""

from messaging.enums import Channel

# Channel -> the prefix of its threads' keys. Every other channel of `Channel` is a user's (web, api).
CHANNEL_KEY_PREFIXES: dict[str, str] = {
    Channel.SMS: "phone:",
    Channel.WHATSAPP: "whatsapp:",
}
RESERVED_KEY_PREFIXES: tuple[str, ...] = tuple(CHANNEL_KEY_PREFIXES.values())
# The refusal's text, also in the panel's catalog (messaging.views): name a new channel here too.
RESERVED_KEY = "This conversation id is reserved for the server's SMS and WhatsApp threads."
# A conversation moved off a reserved key keeps its old key after this, so its owner recognises it.
DETACHED_KEY_PREFIX = "detached-"


def channel_conversation_key(*, number: str, channel: str) -> str:
    """The thread of an external number on a channel: SMS and WhatsApp threads of one number stay apart."""
    return f"{CHANNEL_KEY_PREFIXES[channel]}{number}"


def is_reserved_key(key: str) -> bool:
    """Any case: keys differing only in case would look the same to a person reading them."""
    return key.lower().startswith(RESERVED_KEY_PREFIXES)


def channel_of_key(key: str) -> str | None:
    """The channel whose key space `key` is in, or None."""
    lowered = key.lower()
    return next((channel for channel, prefix in CHANNEL_KEY_PREFIXES.items() if lowered.startswith(prefix)), None)
