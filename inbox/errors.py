"""A send a channel did not accept, classified the same way for every channel: a transient error is
retried, a permanent one fails the send at once, an opted-out recipient also opts the contact out.
Each channel's error classifier (twilio_channel.errors.classify, ...) maps its client's errors here."""

from __future__ import annotations


class ChannelError(Exception):
    """`code` is the channel's own error code when it gave one, `status` the HTTP status."""

    def __init__(self, message: str, *, code: int | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status

    @property
    def summary(self) -> str:
        """For logs and the row's `error`: the channel's code and status, never a request body."""
        parts = [f"Error code: {self.code}" if self.code else "", f"HTTP {self.status}" if self.status else ""]
        return " ".join(part for part in parts if part) or self.message


class TransientChannelError(ChannelError):
    """Retry later: rate limited, the channel unavailable, or the network failed."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        status: int | None = None,
        maybe_sent: bool = False,
        retry_after: float | None = None,
    ):
        super().__init__(message, code=code, status=status)
        # The request may have reached the channel (a 5xx or a timeout after it went out).
        self.maybe_sent = maybe_sent
        # Seconds the channel asked us to wait (a 429's retry_after); None: the task's backoff.
        self.retry_after = retry_after


class PermanentChannelError(ChannelError):
    """Do not retry: an invalid address, a closed WhatsApp window, a chat that does not exist, ..."""


class OptedOutError(PermanentChannelError):
    """The recipient refuses our messages (blocked the bot, replied STOP): the contact is opted out
    too, so later sends are refused before any request."""
