"""`python manage.py mark_phones_verified (--all | USERNAME ...)`: vouch for numbers users already
have, so their SMS/WhatsApp keep reaching them. The migration that brought phone verification
(issue 22) left every existing number unverified; run this for the numbers you trust."""

from django.core.management.base import BaseCommand, CommandError

from accounts import selectors
from accounts.services import phones


class Command(BaseCommand):
    help = "Mark users' phone numbers verified: every user's with --all, or the named users'."

    def add_arguments(self, parser) -> None:
        parser.add_argument("usernames", nargs="*", metavar="USERNAME")
        parser.add_argument("--all", action="store_true", help="Every user with an unverified number.")

    def handle(self, *args, usernames: list[str], all: bool, **options) -> None:
        if all == bool(usernames):
            raise CommandError("Name the users, or give --all (not both).")
        users = selectors.user_list()
        if usernames:
            missing = sorted(
                set(usernames) - set(users.filter(username__in=usernames).values_list("username", flat=True))
            )
            if missing:
                raise CommandError(f"User(s) not found: {', '.join(missing)}")
            users = users.filter(username__in=usernames)
        changed = phones.phones_mark_verified(users=users, source="mark_phones_verified")
        for user in changed:
            self.stdout.write(f"  {user.username}: {user.phone_number} verified")
        self.stdout.write(self.style.SUCCESS(f"{len(changed)} phone number(s) marked verified."))
