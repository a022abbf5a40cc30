from django.apps import AppConfig


class TwilioChannelConfig(AppConfig):
    name = "twilio_channel"
    verbose_name = "Twilio channel (SMS and WhatsApp)"

    def ready(self) -> None:
        from django.core import checks
        from django.db.models.signals import post_migrate

        from twilio_channel.checks import signature_check, unknown_contact_reply_check

        # Signature checks off: a system check at start-up (runserver, migrate), and once per process
        # at its first unchecked webhook (twilio_channel.webhooks); no longer every process at import.
        checks.register(signature_check)
        checks.register(unknown_contact_reply_check)

        from twilio_channel.api import schema  # noqa: F401  (registers the OpenAPI auth extension)
        from twilio_channel.bootstrap import ai_config_bootstrap_after_migrate

        # The AI config from the environment: after this app's migrate, not here,
        # so app loading (and test collection) never touches the database.
        post_migrate.connect(
            ai_config_bootstrap_after_migrate, sender=self, dispatch_uid="twilio_channel.ai_config_bootstrap"
        )
