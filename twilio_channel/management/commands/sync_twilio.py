"""`python manage.py sync_twilio --limit 50`: the Twilio sync of the message log, run now and
unthrottled: the newest messages are upserted by SID and the newest inbound
one may be answered, exactly as after a read of the log."""

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import ApplicationError
from twilio_channel.services.remote import sync_recent_messages

MAX_LIMIT = 1000  # one page of Twilio's list


class Command(BaseCommand):
    help = "Upsert the newest messages from Twilio into the message log."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--limit", type=int, default=50, help=f"How many of the newest (1..{MAX_LIMIT}).")

    def handle(self, *args, **options) -> None:
        limit = max(1, min(options["limit"], MAX_LIMIT))
        try:
            count = sync_recent_messages(limit=limit)
        except ApplicationError as exc:  # Twilio not configured, or Twilio failed (its code and status)
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Synced {count} message(s) from Twilio.")
