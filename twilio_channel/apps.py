import logging

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger("twilio_webhook")


class TwilioChannelConfig(AppConfig):
    name = "twilio_channel"
    verbose_name = "Twilio channel (SMS and WhatsApp)"

    def ready(self) -> None:
        from django.core import checks
        from django.db.models.signals import post_migrate

        from twilio_channel.checks import unknown_contact_reply_check

        checks.register(unknown_contact_reply_check)

        from twilio_channel.api import schema  # noqa: F401  (registers the OpenAPI auth extension)
        from twilio_channel.bootstrap import ai_config_bootstrap_after_migrate

        # The AI config from the environment (CONTRACT §4.8): after this app's migrate, not here,
        # so app loading (and test collection) never touches the database.
        post_migrate.connect(
            ai_config_bootstrap_after_migrate, sender=self, dispatch_uid="twilio_channel.ai_config_bootstrap"
        )
        from accounts.signals import phone_link_changed
        from twilio_channel.services.contacts import contacts_relink_on_signal

        phone_link_changed.connect(contacts_relink_on_signal, dispatch_uid="twilio_channel.contacts_relink")
        if not settings.TWILIO_VALIDATE_SIGNATURE:
            logger.warning(
                "TWILIO_VALIDATE_SIGNATURE is off: Twilio webhooks are accepted without checking their "
                "signature. Keep it on anywhere the server is reachable from the internet."
            )
