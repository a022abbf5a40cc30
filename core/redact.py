"""Keep personal data out of log lines."""

import re
from urllib.parse import unquote

MASK = "*****"  # fixed width, so a masked line does not give the number's length away either


def mask_phone(number: str | None) -> str:
    """`+48123456789` -> `+48*****789`; keeps a `whatsapp:` prefix so channels stay readable."""
    if not number:
        return ""
    prefix, _, rest = number.rpartition(":")
    prefix = f"{prefix}:" if prefix else ""
    if len(rest) <= 6:
        return prefix + MASK
    return f"{prefix}{rest[:3]}{MASK}{rest[-3:]}"


# A phone number in a request line or URL: E.164 with its `+` raw or percent-encoded, after an
# optional `whatsapp:` (`/chat/+48…`, `/api/conversations/whatsapp%3A%2B48…`, `?to=%2B48…`), or a
# bare run of digits as the participant of the chat view or a staff conversation.
PHONE_IN_URL = re.compile(
    r"(?:whatsapp(?::|%3[Aa]))?(?:\+|%2[Bb])\d{6,15}"
    r"|(?<=/chat/)\d{7,15}|(?<=/conversations/)\d{7,15}"
)


def mask_phones_in_url(text: str) -> str:
    """`GET /chat/+15551234567 HTTP/1.1` -> `GET /chat/+15*****567 HTTP/1.1`, for access logs."""
    return PHONE_IN_URL.sub(lambda match: mask_phone(unquote(match.group())), text)
