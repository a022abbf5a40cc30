"""`python manage.py bootstrap_ai_config`: apply the AI variables of the environment to the AIConfig
row now, as `migrate` does (twilio_channel.bootstrap has the rules), and say what
happened."""

from django.conf import settings
from django.core.management.base import BaseCommand

from core.redact import mask_phone
from twilio_channel.bootstrap import ENV_VARIABLES, ai_config_bootstrap


class Command(BaseCommand):
    help = "Apply AI_ENABLED, AI_TARGET_NUMBER, AI_SYSTEM_PROMPT, the model and the temperature from the environment."

    def handle(self, *args, **options) -> None:
        outcome = ai_config_bootstrap()
        config = outcome.config
        if outcome.status == "not_set":
            self.stdout.write(f"Nothing to apply: none of {', '.join(ENV_VARIABLES)} is set.")
        elif outcome.status == "managed_in_ui" or config is None:
            self.stdout.write(
                "Skipped: the AI config is managed in the panel or the admin (enabled_source=ui), "
                "so the environment no longer overrides it."
            )
        else:
            summary = (
                f"enabled={config.enabled}, model={config.model or '(LITELLM_MODEL)'}, "
                f"temperature={config.temperature}, target={mask_phone(config.target_number_normalized) or '(none)'}"
            )
            if outcome.status == "applied":
                changed = ", ".join(outcome.changed)
                message = f"AI config bootstrapped from env ({summary}); changed: {changed}."
                self.stdout.write(self.style.SUCCESS(message))
            else:
                self.stdout.write(f"AI config already matches the environment ({summary}).")
        if settings.LITELLM_API_KEY:
            self.stdout.write("The API key stays in the environment: it is used whenever no key is stored.")
