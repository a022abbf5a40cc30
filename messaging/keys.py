"""Conversation keys that belong to the channel pipeline (issue 22, point 1).

A thread with an external party lives under its channel's prefix and the party's address
(`phone:+48…`, `whatsapp:+48…`, `telegram:123…`). Only the channel pipeline creates or writes there:
a user who could create a conversation under such a key before the party first wrote would have
their text read as the party's own turns. Every channel of `Channel` but the users' own (web, api)
gets the prefix `<channel>:` (SMS keeps `phone:`), so a new channel's enum value reserves its key
space everywhere."""

from messaging.enums import Channel

# The users' own channels: their conversations have keys of their own choosing.
USER_CHANNELS = frozenset({Channel.WEB, Channel.API})
# Channel -> the prefix of its threads' keys.
CHANNEL_KEY_PREFIXES: dict[str, str] = {
    Channel.SMS: "phone:",
    **{channel: f"{channel}:" for channel in Channel.values if channel not in USER_CHANNELS | {Channel.SMS}},
}
RESERVED_KEY_PREFIXES: tuple[str, ...] = tuple(CHANNEL_KEY_PREFIXES.values())
# The refusal's text, also in the panel's catalog (messaging.views): name a new channel here too.
RESERVED_KEY = "This conversation id is reserved for the server's SMS and WhatsApp threads."
# A conversation moved off a reserved key keeps its old key after this, so its owner recognises it.
DETACHED_KEY_PREFIX = "detached-"


def channel_conversation_key(*, number: str, channel: str) -> str:
    """The thread of an external address on a channel: the threads of one number on SMS and on
    WhatsApp stay apart. (A channel outside the enum, the tests' own, gets `<channel>:` too.)"""
    return f"{CHANNEL_KEY_PREFIXES.get(channel, f'{channel}:')}{number}"


def is_reserved_key(key: str) -> bool:
    """Any case: keys differing only in case would look the same to a person reading them."""
    return key.lower().startswith(RESERVED_KEY_PREFIXES)


def channel_of_key(key: str) -> str | None:
    """The channel whose key space `key` is in, or None."""
    lowered = key.lower()
    return next((channel for channel, prefix in CHANNEL_KEY_PREFIXES.items() if lowered.startswith(prefix)), None)
