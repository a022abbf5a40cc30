"""`python manage.py set_user_phone --username U --phone +E164 [--verified] [--superuser | --no-superuser]`:
any user, named on the command line. A new number is
unverified (its SMS/WhatsApp do not reach the user, issue 22) unless the operator vouches for it
with `--verified`."""

import argparse

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import selectors
from accounts.services import phones, users
from core.exceptions import ApplicationError
from core.phones import InvalidPhoneNumber, normalize_e164


class Command(BaseCommand):
    help = "Set a user's phone number (E.164, unique) and optionally grant or revoke superuser status."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--phone", required=True, help="E.164, e.g. +48123456789")
        parser.add_argument(
            "--superuser",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="Also grant (--superuser) or revoke (--no-superuser) superuser status; unchanged without either.",
        )
        parser.add_argument(
            "--verified",
            action="store_true",
            help="Mark the number verified (you know it is the user's): its SMS/WhatsApp reach the user at once.",
        )

    def handle(self, *args, username: str, phone: str, superuser: bool | None, verified: bool, **options) -> None:
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
                if verified:
                    phones.phone_verified_set(user=user, actor=None, source="set_user_phone")
                if superuser is not None:
                    users.user_superuser_set(actor=None, user_id=user.pk, value=superuser)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        suffix = {True: " and made superuser", False: " and superuser status revoked", None: ""}[superuser]
        if verified:
            suffix = f" (verified){suffix}"
        self.stdout.write(self.style.SUCCESS(f"User {username}: phone set to {number}{suffix}"))
