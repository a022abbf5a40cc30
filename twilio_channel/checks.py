"""System checks of the Twilio settings: said once at each `manage.py` start that runs checks
(runserver, migrate, check), not by every worker, beat and web worker process at import."""

from django.conf import settings
from django.core.checks import CheckMessage, Warning

UNSIGNED = "TWILIO_VALIDATE_SIGNATURE is off: Twilio webhooks are accepted without checking their signature."


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
