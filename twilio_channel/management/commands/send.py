"""`python manage.py send --to +48123456789 --body "Hi"`: send one SMS or WhatsApp message now,
through the same staff send as `POST /api/send-message`. A refusal or a Twilio
failure prints the API's text and exits non-zero."""

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import ApplicationError
from core.text import text_clean
from twilio_channel.services.staff_sends import staff_send, staff_send_queued


class Command(BaseCommand):
    help = "Send one SMS (or WhatsApp, with a whatsapp: prefix on --to) and store it as an outbound message."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--to", required=True, help="+E164, or whatsapp:+E164")
        # An undecodable byte on the command line arrives as a lone surrogate: cleaned like the API's text.
        parser.add_argument("--body", required=True, type=text_clean)
        parser.add_argument(
            "--use-messaging-service",
            action="store_true",
            help="Send through TWILIO_MESSAGING_SERVICE_SID instead of TWILIO_DEFAULT_FROM.",
        )

    def handle(self, *args, **options) -> None:
        try:
            message = staff_send(
                to=options["to"],
                body=options["body"],
                # Never None: without the flag it goes from TWILIO_DEFAULT_FROM, service or not.
                use_messaging_service=bool(options["use_messaging_service"]),
            )
        except ApplicationError as exc:  # the domain errors: opted out, not configured, Twilio failed, ...
            raise CommandError(exc.message) from exc
        if staff_send_queued(message):  # Twilio busy or unreachable: the `sends` queue retries it
            self.stdout.write(f"Twilio is busy: message {message.pk} is queued and will be sent shortly.")
            return
        self.stdout.write(f"Message sent. SID={message.twilio_sid}")
