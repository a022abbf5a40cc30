"""`python manage.py ai-send`: generate a message for a phone thread and send it now,
through the same service as `POST /api/ai/send`, with the command-line texts scripts expect."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.exceptions import ApplicationError
from core.text import text_clean
from twilio_channel.services import ai_helpers

NO_KEY = "No saved OpenAI key. Set OPENAI_API_KEY or save it in the panel."
NO_RECIPIENT = "Provide a recipient number (--to) or configure the AI target in the panel."
NO_CONTENT = "AI returned no message content."


def _positive(raw: str) -> int:
    # Any integer is taken; fewer than one turn of history means one.
    try:
        return max(1, int(raw))
    except ValueError as exc:
        raise ValueError(f"not an integer: {raw!r}") from exc


class Command(BaseCommand):
    help = "Generate an AI message from the conversation history and send it via Twilio."

    def add_arguments(self, parser: CommandParser) -> None:
        # An undecodable byte on the command line arrives as a lone surrogate: cleaned like the API's text.
        parser.add_argument(
            "--to", type=text_clean, help="Recipient (+E164 or whatsapp:+E164); default: the AI target number."
        )
        parser.add_argument("--latest", type=text_clean, help="Treated as the newest message from the recipient.")
        parser.add_argument(
            "--history-limit",
            type=_positive,
            default=ai_helpers.HISTORY_LIMIT_DEFAULT,
            help=f"Messages of history to send to the model (default {ai_helpers.HISTORY_LIMIT_DEFAULT}).",
        )
        parser.add_argument(
            "--use-messaging-service",
            action="store_true",
            help="Send through TWILIO_MESSAGING_SERVICE_SID instead of the default From.",
        )

    def handle(self, *args, **options) -> None:
        try:
            result = ai_helpers.ai_send(
                participant=options["to"],
                latest=options["latest"],
                history_limit=options["history_limit"],
                # Without the flag the message goes from TWILIO_DEFAULT_FROM.
                use_messaging_service=options["use_messaging_service"],
            )
        except ai_helpers.NoAIKey as exc:
            raise CommandError(NO_KEY) from exc
        except ai_helpers.NoParticipant as exc:
            raise CommandError(NO_RECIPIENT) from exc
        except ai_helpers.NoReplyContent as exc:
            raise CommandError(NO_CONTENT) from exc
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if result["sid"] is None:  # Twilio busy or unreachable: the `sends` queue retries it
            self.stdout.write(f"Twilio is busy: the AI message to {result['to']} is queued and will be sent shortly.")
            return
        self.stdout.write(f"AI message sent to {result['to']}. SID={result['sid']}")
