"""`python manage.py telegram_webhook set|delete|info`: where Telegram delivers the bot's updates.
`set` registers PUBLIC_BASE_URL/telegram/webhook (or --url) with TELEGRAM_WEBHOOK_SECRET and the
updates the bot takes; `delete` goes back to polling (`telegram_poll`)."""

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from telegram_channel.client import ALLOWED_UPDATES, TelegramError, TelegramNotConfigured, telegram_client


class Command(BaseCommand):
    help = "Set, delete or show the Telegram bot's webhook."

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["set", "delete", "info"])
        parser.add_argument(
            "--url", default="", help="The public webhook URL (default PUBLIC_BASE_URL/telegram/webhook)"
        )

    def handle(self, *args, **options) -> None:
        try:
            client = telegram_client()
            if options["action"] == "info":
                self.stdout.write(json.dumps(client.call("getWebhookInfo"), indent=2))
            elif options["action"] == "delete":
                client.call("deleteWebhook")
                self.stdout.write("Webhook deleted: poll with `manage.py telegram_poll`.")
            else:
                url = self._url(options["url"])
                params = {
                    "url": url,
                    "secret_token": settings.TELEGRAM_WEBHOOK_SECRET,
                    "allowed_updates": ALLOWED_UPDATES,
                }
                client.call("setWebhook", params)
                self.stdout.write(f"Webhook set: {url}")
        except (TelegramNotConfigured, TelegramError) as exc:
            raise CommandError(str(exc)) from None

    def _url(self, url: str) -> str:
        if not settings.TELEGRAM_WEBHOOK_SECRET:
            raise CommandError("Set TELEGRAM_WEBHOOK_SECRET first: the webhook refuses calls without it.")
        url = url or (f"{settings.PUBLIC_BASE_URL}/telegram/webhook" if settings.PUBLIC_BASE_URL else "")
        if not url.startswith("https://"):
            raise CommandError("Telegram needs an https:// URL: pass --url or set PUBLIC_BASE_URL.")
        return url
