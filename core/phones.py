"""Phone numbers: E.164 for user records, and `normalize_contact` for Twilio addresses."""

import re

import phonenumbers

E164_RE = re.compile(r"^\+[1-9]\d{6,14}$")
_PREFIX_RE = re.compile(r"^(whatsapp|sms|mms|client|sip):", re.IGNORECASE)
_SEPARATORS_RE = re.compile(r"[\s\-()._]")


class InvalidPhoneNumber(ValueError):
    pass


def normalize_e164(raw: str | None) -> str | None:
    """A user's phone as E.164, `None` for blank; raises InvalidPhoneNumber otherwise."""
    if raw is None or not raw.strip():
        return None
    candidate = normalize_contact(raw)
    if not E164_RE.match(candidate):
        raise InvalidPhoneNumber("Phone number must be in E.164 format, e.g. +48123456789")
    try:
        parsed = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber("Phone number must be in E.164 format, e.g. +48123456789") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidPhoneNumber("Phone number is not a possible number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalize_contact(raw: str | None) -> str:
    """Twilio addresses' normaliser: strips a channel prefix and separators."""
    value = (raw or "").strip()
    value = _PREFIX_RE.sub("", value, count=1)
    value = _SEPARATORS_RE.sub("", value)
    if value.startswith("+00"):
        value = "+" + value[3:]
    elif value.startswith("00"):
        value = "+" + value[2:]
    if not value:
        return ""
    digits = value[1:] if value.startswith("+") else value
    if digits.isdigit():
        return "+" + digits
    return value.lower()
