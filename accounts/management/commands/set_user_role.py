"""`python manage.py set_user_role --username U --role user|agent|superuser`: the operator's way to
make an agent (staff panel and messaging only) from the shell, through the same services as the
admin's actions."""

from django.core.management.base import BaseCommand, CommandError

from accounts import selectors
from accounts.services import users
from core.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Set a user's role: user, agent (staff panel, handoff inbox, messaging API) or superuser."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--role", required=True, choices=users.ROLES)

    def handle(self, *args, username: str, role: str, **options) -> None:
        user = selectors.user_get_by_username(username=username)
        if user is None:
            raise CommandError(f"User {username!r} not found")
        try:
            users.user_role_set(actor=None, user_id=user.pk, role=role)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"User {username}: role set to {role}"))
