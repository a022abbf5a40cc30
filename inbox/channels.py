"""What a channel is to the inbox, declared by the channel's app in one place, and the registry of
channels (`settings.INBOX_CHANNELS`: channel name → dotted path of its `Channel`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.utils.functional import Promise
from django.utils.module_loading import import_string

from inbox.splitting import text_split


class UnknownChannel(LookupError):
    pass


@dataclass(frozen=True)
class Channel:
    name: str  # the messaging.enums.Channel value stored on its messages and contacts
    label: str | Promise  # shown to staff (lazily translated)
    max_length: int  # characters per message; `max_length_setting` (a setting's name) overrides it
    # Dotted path of an object with `send(message) -> external id` (inbox.senders), for the inbox's
    # delivery; "" for a channel with a `replier` of its own.
    sender: str = ""
    max_length_setting: str = ""
    max_parts_setting: str = "INBOX_MAX_PARTS"  # the setting naming how many parts a long text may take
    split: Callable[..., list[str]] = text_split  # (text, limit=, max_parts=) -> parts
    window_24h: bool = False  # WhatsApp: free-form messages only within 24 h of the contact's last one
    templates: bool = False  # WhatsApp: a template may open the window
    media: bool = False  # media the assistant can act on; else a message of media only is told so
    opt_out_words: frozenset[str] = field(default_factory=frozenset)
    opt_in_words: frozenset[str] = field(default_factory=frozenset)
    help_words: frozenset[str] = field(default_factory=frozenset)
    help_text: str | Promise = ""
    # Its addresses are phone numbers: a contact speaks for the user whose VERIFIED number it is
    # (else only for the user it was linked to, e.g. by a one-time code).
    phone_addresses: bool = False
    # Dotted path of a callable `(to_message=, text=, **fields) -> Message` when the channel runs
    # its own delivery (Twilio reconciles with its message list); else the inbox's delivery sends.
    replier: str = ""
    # One reply per burst (issue 27): the quiet window in seconds; None: AI_BURST_WINDOW_S. The
    # AI_BURST_WINDOWS setting overrides it by channel name.
    burst_window_s: float | None = None

    def text_limit(self) -> int:
        if self.max_length_setting:
            return int(getattr(settings, self.max_length_setting))
        return self.max_length

    def parts(self, text: str) -> list[str]:
        return self.split(text, limit=self.text_limit(), max_parts=int(getattr(settings, self.max_parts_setting)))

    def burst_window(self) -> float:
        """Seconds a message waits for the next of its burst before it is answered; 0: at once."""
        window = settings.AI_BURST_WINDOWS.get(self.name, self.burst_window_s)
        return max(0.0, float(settings.AI_BURST_WINDOW_S if window is None else window))

    def word(self, text: str) -> str:
        """The command word a text is, if any: the whole trimmed text, lower-cased."""
        return text.strip().lower()


@cache
def _load(path: str) -> Channel:
    return import_string(path)


def get_channel(name: str) -> Channel:
    path = settings.INBOX_CHANNELS.get(name)
    if path is None:
        raise UnknownChannel(name)
    return _load(path)


def channel_names() -> list[str]:
    return list(settings.INBOX_CHANNELS)


def channel_label(name: str) -> str:
    """The label staff see for a channel; the name itself for web/API or an unknown one."""
    try:
        return str(get_channel(name).label)
    except UnknownChannel:
        return name
