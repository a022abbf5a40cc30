"""System checks of the Twilio channel's settings: said once at each `manage.py` start that runs
checks (runserver, migrate, check), not by every worker, beat and web worker process at import, so
an operator learns of a setting that accepts anyone's webhook or silently answers no one."""

from django.conf import settings
from django.core.checks import CheckMessage, Warning

UNSIGNED = "TWILIO_VALIDATE_SIGNATURE is off: Twilio webhooks are accepted without checking their signature."
UNKNOWN_CONTACT_REPLIES = ("none", "chat", "text")


def signature_check(app_configs, **kwargs) -> list[CheckMessage]:
    if settings.TWILIO_VALIDATE_SIGNATURE:
        return []
    return [
        Warning(
            UNSIGNED,
            hint="Keep it on anywhere the server is reachable from the internet.",
            id="twilio_channel.W001",
        )
    ]


def unknown_contact_reply_check(app_configs, **kwargs) -> list[CheckMessage]:
    value = settings.UNKNOWN_CONTACT_REPLY.strip().lower()
    if value and value not in UNKNOWN_CONTACT_REPLIES:
        problem = f"UNKNOWN_CONTACT_REPLY={value!r} is none of none, chat, text"
    elif value == "text" and not settings.UNKNOWN_CONTACT_REPLY_TEXT.strip():
        problem = "UNKNOWN_CONTACT_REPLY=text, but UNKNOWN_CONTACT_REPLY_TEXT is empty"
    else:
        return []
    return [
        Warning(
            problem,
            hint="Until it is fixed, a message from anyone who is not a user gets no automatic reply.",
            id="twilio_channel.W002",
        )
    ]
