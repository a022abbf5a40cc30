"""The password rules. Their one definition is settings.AUTH_PASSWORD_VALIDATORS (the minimum length
included). The API runs them in its serializers and the services again for every other caller; the
admin console's forms and the interactive `createsuperuser`/`changepassword` run them themselves."""

from django.conf import settings
from django.contrib.auth.password_validation import (
    MinimumLengthValidator,
    get_password_validators,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.core.validators import MinLengthValidator
from django.utils.module_loading import import_string

from accounts.models import User


def password_min_length() -> int:
    """The configured minimum length (0 when no MinimumLengthValidator is configured). Only the
    length rules are built: every serializer with a password field asks at import, and the other
    rules load what a process serving no password request never needs (the common-password list
    alone is ~1.6 MB)."""
    length_rules = [
        rule
        for rule in settings.AUTH_PASSWORD_VALIDATORS
        if issubclass(import_string(rule["NAME"]), MinimumLengthValidator)
    ]
    return max((validator.min_length for validator in get_password_validators(length_rules)), default=0)


def password_check(*, password: str, field: str, user: User | None = None) -> None:
    """Raise ValidationError({field: [messages]}) when the password breaks a rule; the API renders it
    per field, e.g. `{"detail": {"password": ["This password is too common."]}}`."""
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({field: exc.error_list}) from exc


class PasswordRulesValidator(MinLengthValidator):
    """A serializer field validator running every password rule, with Django's messages.

    A MinLengthValidator only so that the OpenAPI schema shows the configured `minLength`; the
    length itself is checked, with the other rules, by the validators from the settings."""

    def __init__(self) -> None:
        super().__init__(password_min_length())

    def __call__(self, value: str) -> None:
        validate_password(value)
