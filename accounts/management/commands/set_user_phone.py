"""`python manage.py set_user_phone --username U --phone +E164 [--superuser]`: seed 1's
scripts/update_phone.py without its hard-coded user (CONTRACT §6.2)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import selectors
from accounts.services import users
from core.exceptions import ApplicationError
from core.phones import InvalidPhoneNumber, normalize_e164


class Command(BaseCommand):
    help = "Set a user's phone number (E.164, unique) and optionally make them a superuser."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--phone", required=True, help="E.164, e.g. +48123456789")
        parser.add_argument("--superuser", action="store_true", help="Also grant superuser status.")

    def handle(self, *args, username: str, phone: str, superuser: bool, **options) -> None:
        try:
            number = normalize_e164(phone)
        except InvalidPhoneNumber as exc:
            raise CommandError(f"Invalid phone number {phone!r}: {exc}") from exc
        if number is None:
            raise CommandError("--phone must not be empty")
        user = selectors.user_get_by_username(username=username)
        if user is None:
            raise CommandError(f"User {username!r} not found")
        try:
            with transaction.atomic():
                users.user_profile_update(user=user, phone_number=number)
                if superuser:
                    users.user_superuser_set(actor=None, user_id=user.pk, value=True)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        suffix = " and made superuser" if superuser else ""
        self.stdout.write(self.style.SUCCESS(f"User {username}: phone set to {number}{suffix}"))
