"""Keep personal data out of log lines (CONTRACT §9.1 point 8)."""


def mask_phone(number: str | None) -> str:
    """`+48123456789` -> `+48*****789`; keeps a `whatsapp:` prefix so channels stay readable."""
    if not number:
        return ""
    prefix, _, rest = number.rpartition(":")
    prefix = f"{prefix}:" if prefix else ""
    if len(rest) <= 6:
        return prefix + "*" * len(rest)
    return f"{prefix}{rest[:3]}{'*' * (len(rest) - 6)}{rest[-3:]}"
