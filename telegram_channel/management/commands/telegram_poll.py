"""`python manage.py telegram_poll`: the bot's updates by getUpdates long polling, for a machine
with no public URL. Each update goes through the webhook's own pipeline (`update_handle`); an
update is confirmed (the next offset) only once stored, and the update_id dedups a repeat."""

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from telegram_channel.client import TelegramError, TelegramNotConfigured, telegram_client
from telegram_channel.inbound import update_handle
from telegram_channel.updates import UpdateInvalid, update_parse

logger = logging.getLogger("twilio_webhook")  # the contract's log of the external channels
PAUSE_S = 5  # after a failed poll


class Command(BaseCommand):
    help = "Receive the Telegram bot's updates by long polling (no webhook needed)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="Handle the waiting updates once and stop.")

    def handle(self, *args, **options) -> None:
        offset = None
        while True:
            try:
                offset = self._poll(offset)
            except TelegramNotConfigured as exc:
                raise CommandError(str(exc)) from None
            except TelegramError as exc:
                if exc.status == 409:  # Telegram refuses getUpdates while a webhook is set
                    raise CommandError("A webhook is set: run `manage.py telegram_webhook delete` first.") from None
                if options["once"]:
                    raise CommandError(str(exc)) from None
                logger.warning("Telegram poll failed (%s): again in %s s", exc, PAUSE_S)
                time.sleep(PAUSE_S)
            if options["once"]:
                if offset is not None:
                    telegram_client().get_updates(offset=offset, timeout=0)  # confirms what was handled
                return

    def _poll(self, offset: int | None) -> int | None:
        for data in telegram_client().get_updates(offset=offset, timeout=settings.TELEGRAM_POLL_TIMEOUT_S):
            try:
                update = update_parse(data)
            except UpdateInvalid as exc:
                logger.warning("Telegram update skipped: %s", exc)
            else:
                if update is not None:
                    update_handle(update)
            if isinstance(data, dict) and isinstance(data.get("update_id"), int):
                offset = max(offset or 0, data["update_id"] + 1)
        return offset
