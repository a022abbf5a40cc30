"""`python manage.py list_users`: every user, one a line.

An operator tool: it prints full phone numbers to the terminal, so it writes to stdout only and
never to a logger (logs must not carry full numbers)."""

from django.core.management.base import BaseCommand

from accounts import selectors


class Command(BaseCommand):
    help = "List every user: ID, Username, Full Name, Phone, Email, Superuser."

    def handle(self, *args, **options) -> None:
        self.stdout.write("Users in database:")
        # The four original columns first, unchanged, then the two added later.
        columns = ("id", "username", "full_name", "phone_number", "email", "is_superuser")
        for user in selectors.user_list().only(*columns).iterator():
            self.stdout.write(
                f"  ID: {user.pk}, Username: {user.username}, Full Name: {user.full_name or ''},"
                f" Phone: {user.phone_number or ''}, Email: {user.email}, Superuser: {user.is_superuser}"
            )
