"""What api.twilio.com's Messages API looks like on the wire: its constants, SIDs, dates, address
rules, SMS segments, error bodies and routes."""

from __future__ import annotations

import math
import re
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

API_VERSION = "2010-04-01"
DEFAULT_ACCOUNT_SID = "AC" + "fa4e" * 8
DEFAULT_AUTH_TOKEN = "feedface" * 4
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
MAX_BODY_LENGTH = 1600  # SMS; Twilio counts UTF-16 code units (an emoji outside the BMP is two)
MAX_WHATSAPP_BODY_LENGTH = 4096

OPERATIONS = ("create", "list", "fetch", "update", "delete", "fetch_account")

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
SHORT_CODE = re.compile(r"^\d{3,8}$")
ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
CHANNEL_PREFIXES = ("whatsapp:",)
# Statuses in which Twilio has handed the message on (an outbound one gets its date_sent then).
SENT_STATUSES = frozenset({"sent", "delivered", "undelivered", "failed", "read", "received", "partially_delivered"})

# Twilio's error code for a bare HTTP status, used when a fault gives none.
DEFAULT_CODES = {400: 20001, 401: 20003, 403: 20403, 404: 20404, 405: 20004, 429: 20429, 500: 20500, 503: 20503}
DEFAULT_MESSAGES = {
    20001: "Invalid parameter",
    20003: "Authenticate",
    20004: "Method not allowed",
    20403: "Forbidden",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    20503: "Service Unavailable",
}

# GSM 03.38: the basic set costs one septet, the extension set two; anything else makes the whole
# body UCS-2. Twilio counts segments the same way (160/153 septets, 70/67 UTF-16 units).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")


def new_sid(prefix: str = "SM") -> str:
    """A Twilio-shaped SID: two letters and 32 hex digits."""
    return prefix + uuid.uuid4().hex


def rfc2822(moment: datetime | None) -> str | None:
    """Twilio's date format, e.g. 'Thu, 24 Aug 2023 05:01:45 +0000'."""
    if moment is None:
        return None
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0))


def num_segments(body: str) -> int:
    """How many SMS segments Twilio bills for `body`."""
    if all(char in GSM_BASIC or char in GSM_EXTENSION for char in body):
        length = sum(2 if char in GSM_EXTENSION else 1 for char in body)
        single, multi = 160, 153
    else:
        length = len(body.encode("utf-16-le")) // 2
        single, multi = 70, 67
    return 1 if length <= single else math.ceil(length / multi)


def _strip_channel(address: str) -> str:
    for prefix in CHANNEL_PREFIXES:
        if address.startswith(prefix):
            return address[len(prefix) :]
    return address


def valid_to(address: str) -> bool:
    """E.164, optionally behind a channel prefix such as 'whatsapp:'."""
    return bool(E164.match(_strip_channel(address)))


def valid_from(address: str) -> bool:
    """A phone number, short code or alphanumeric sender ID, optionally behind a channel prefix."""
    bare = _strip_channel(address)
    return bool(E164.match(bare) or SHORT_CODE.match(bare) or ALPHANUMERIC_SENDER.match(bare))


def error_body(status: int, code: int | None = None, message: str | None = None) -> dict[str, Any]:
    """Twilio's error JSON; the SDK turns it into TwilioRestException(status, code)."""
    code = code if code is not None else DEFAULT_CODES.get(status)
    body: dict[str, Any] = {
        "code": code,
        "message": message or DEFAULT_MESSAGES.get(code or 0) or f"HTTP {status}",
        "more_info": f"https://www.twilio.com/docs/errors/{code}" if code else None,
        "status": status,
    }
    return body


# --- routing ----------------------------------------------------------------------------------------
_PREFIX = rf"^/{re.escape(API_VERSION)}/Accounts/(?P<account>[^/]+?)"
ROUTES: tuple[tuple[re.Pattern[str], dict[str, str]], ...] = (
    (re.compile(_PREFIX + r"/Messages\.json$"), {"GET": "list", "POST": "create"}),
    (re.compile(_PREFIX + r"/Messages/(?P<sid>[^/]+)\.json$"), {"GET": "fetch", "POST": "update", "DELETE": "delete"}),
    (re.compile(_PREFIX + r"\.json$"), {"GET": "fetch_account"}),
)


def first_values(params: dict[str, list[str]]) -> dict[str, str]:
    return {key: values[0] for key, values in params.items() if values}


def parse_filter_time(value: str) -> tuple[datetime | None, bool]:
    """(moment in UTC, is_a_whole_day) for a DateSent filter: 'YYYY-MM-DD' or an ISO 8601 timestamp."""
    value = value.strip()
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None, False
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment, len(value) == 10
