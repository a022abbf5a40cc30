import logging

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger("twilio_webhook")


class TwilioChannelConfig(AppConfig):
    name = "twilio_channel"
    verbose_name = "Twilio channel (SMS and WhatsApp)"

    def ready(self) -> None:
        if not settings.TWILIO_VALIDATE_SIGNATURE:
            logger.warning(
                "TWILIO_VALIDATE_SIGNATURE is off: Twilio webhooks are accepted without checking their "
                "signature. Keep it on anywhere the server is reachable from the internet."
            )
