"""Keep personal data out of log lines (CONTRACT §9.1 point 8)."""

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
