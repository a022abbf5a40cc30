"""Phone verification (issue 22): a number links its SMS and WhatsApp to an account only once the
account proved it holds the number, by a one-time code sent to it (or a superuser vouched for it).

Only the code's HMAC (keyed with SECRET_KEY and bound to the user and the number) is stored; the
newest row of a user is the live code, so asking again kills the previous one. The rows also count
the sends, per number and per account, for the rate limits."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.module_loading import import_string

from accounts.models import PhoneVerification, User
from accounts.services.users import user_profile_update
from accounts.signals import phone_link_changed
from core.exceptions import ApplicationError, ConflictError, TooManyRequestsError
from core.redact import mask_phone

logger = logging.getLogger("auth")

CODE_DIGITS = 6
CHANNELS = ("sms", "whatsapp")
NO_CHANNEL = "Codes cannot be sent over %(channel)s on this server."
NO_NUMBER = "Set a phone number first"
ALREADY_VERIFIED = "This phone number is already verified"
TOO_MANY_TO_NUMBER = "Too many codes sent to this phone number. Try again later."
TOO_MANY_FOR_ACCOUNT = "Too many codes requested. Try again later."
NUMBER_TAKEN = "Phone number already registered"
NO_CODE = "No code is waiting for this phone number; request a new one."
WRONG_CODE = "Wrong code; %(left)s attempt(s) left."
CODE_EXPIRED = "The code has expired; request a new one."
CODE_DEAD = "Too many wrong codes; request a new one."
CODE_TEXT = "Your AI Messaging verification code is {code}. It expires in {minutes} minutes."


def _code_hash(*, user_id: int, number: str, code: str) -> str:
    return salted_hmac("accounts.phone_verification", f"{user_id}:{number}:{code}", algorithm="sha256").hexdigest()


def _retry_after(rows: QuerySet[PhoneVerification], *, since: datetime, now: datetime) -> int:
    oldest = rows.filter(created_at__gt=since).order_by("created_at").values_list("created_at", flat=True).first()
    window = timedelta(seconds=settings.PHONE_VERIFICATION_SEND_WINDOW_S)
    return max(1, int(((oldest or now) + window - now).total_seconds()) + 1)


def _send_limits_check(*, user: User, number: str, now: datetime) -> None:
    """Per number (a victim's phone is not bombarded from many accounts) and per account (one
    account does not text many numbers)."""
    since = now - timedelta(seconds=settings.PHONE_VERIFICATION_SEND_WINDOW_S)
    sent = PhoneVerification.objects
    for rows, limit, text in (
        (sent.filter(number=number), settings.PHONE_VERIFICATION_SENDS_PER_NUMBER, TOO_MANY_TO_NUMBER),
        (sent.filter(user=user), settings.PHONE_VERIFICATION_SENDS_PER_USER, TOO_MANY_FOR_ACCOUNT),
    ):
        if rows.filter(created_at__gt=since).count() >= limit:
            raise TooManyRequestsError(text, retry_after=_retry_after(rows, since=since, now=now))


def phone_verification_send(*, user: User, channel: str = "sms", phone: str | None = None) -> PhoneVerification:
    """Send a new code to `phone` or to the user's number. A new `phone` becomes the user's number
    (unverified) at once when nobody else holds it; when another account only claimed it (never
    proved it), it is the user's once the code is confirmed: a claim must not lock the owner out.
    The row (never the code) is returned: its `expires_at` is what the caller may show."""
    if channel not in CHANNELS or channel not in settings.PHONE_VERIFICATION_CHANNELS:
        raise ValidationError({"channel": [ValidationError(NO_CHANNEL, params={"channel": channel})]})
    now = timezone.now()
    with transaction.atomic():
        # The user's row lock serialises one account's requests, so its limit holds under races.
        locked = User.objects.select_for_update().get(pk=user.pk)
        number = phone or locked.phone_number
        if not number:
            raise ValidationError({"phone": [NO_NUMBER]})
        if number == locked.phone_number and locked.phone_verified:
            raise ConflictError(ALREADY_VERIFIED)
        holders = User.objects.filter(phone_number=number).exclude(pk=locked.pk)
        if holders.filter(phone_verified_at__isnull=False).exists():
            raise ApplicationError(NUMBER_TAKEN)
        _send_limits_check(user=locked, number=number, now=now)
        if number != locked.phone_number and not holders.exists():
            user_profile_update(user=locked, phone_number=number)
        # A new code kills the ones before it; rows past both the window and any code's life go.
        PhoneVerification.objects.filter(user=locked, used_at__isnull=True).update(used_at=now)
        stale = now - timedelta(
            seconds=max(settings.PHONE_VERIFICATION_SEND_WINDOW_S, settings.PHONE_VERIFICATION_CODE_TTL_S)
        )
        PhoneVerification.objects.filter(Q(user=locked) | Q(number=number), created_at__lt=stale).delete()
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        ttl = settings.PHONE_VERIFICATION_CODE_TTL_S
        verification = PhoneVerification.objects.create(
            user=locked,
            number=number,
            channel=channel,
            code_hash=_code_hash(user_id=user.pk, number=number, code=code),
            expires_at=now + timedelta(seconds=ttl),
        )
    user.phone_number, user.phone_verified_at = locked.phone_number, locked.phone_verified_at
    # The provider call runs outside the transaction; a failed send kills the code (it still
    # counts for the limits) and its error goes to the caller (503, 409, 502).
    sender = import_string(settings.PHONE_VERIFICATION_SENDER)
    try:
        sender(number=number, channel=channel, code=code, text=CODE_TEXT.format(code=code, minutes=max(1, ttl // 60)))
    except Exception:
        PhoneVerification.objects.filter(pk=verification.pk).update(used_at=timezone.now())
        raise
    logger.info("Phone verification code sent to %s over %s for user %s", mask_phone(number), channel, user.pk)
    return verification


def phone_verification_confirm(*, user: User, code: str) -> User:
    """Check a code against the user's live one; right, its number becomes the user's, verified.
    Every guess uses one of the code's attempts, counted under a row lock so parallel guesses get
    no more."""
    maximum = settings.PHONE_VERIFICATION_MAX_ATTEMPTS
    live = PhoneVerification.objects.filter(user=user, used_at__isnull=True)
    verification = live.order_by("-created_at", "-id").first()
    if verification is None:
        raise ValidationError({"code": [NO_CODE]})
    if verification.expires_at <= timezone.now():
        raise ValidationError({"code": [CODE_EXPIRED]})
    with transaction.atomic():
        # The row lock (IMMEDIATE transactions on SQLite) counts parallel guesses one by one.
        row = live.select_for_update().filter(pk=verification.pk).first()
        if row is None:
            raise ValidationError({"code": [NO_CODE]})
        if row.attempts >= maximum:
            raise ValidationError({"code": [CODE_DEAD]})
        row.attempts += 1
        row.save(update_fields=["attempts", "updated_at"])
    expected = _code_hash(user_id=user.pk, number=verification.number, code=code.strip())
    if not constant_time_compare(expected, verification.code_hash):
        left = max(0, maximum - row.attempts)
        logger.info("Wrong phone verification code for user %s (%s attempts left)", user.pk, left)
        if left == 0:
            raise ValidationError({"code": [CODE_DEAD]})
        # A message with params, so the panel can translate it before filling the number in.
        raise ValidationError({"code": [ValidationError(WRONG_CODE, params={"left": left})]})
    with transaction.atomic():
        if not live.filter(pk=verification.pk).update(used_at=timezone.now()):
            raise ValidationError({"code": [NO_CODE]})
        return phone_verified_set(user=user, number=verification.number, actor=None, source="code")


@transaction.atomic
def phone_verified_set(
    *, user: User, verified: bool = True, number: str | None = None, actor: User | None, source: str
) -> User:
    """Mark the user's number verified (a confirmed code, a superuser, the operator's command) or
    not. `number` (a confirmed code's) becomes the user's number first; another account that only
    claimed it loses it. Every change tells the channel to re-link its contacts."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    fields = ["phone_verified_at", "updated_at"]
    if number is not None and number != locked.phone_number:
        others = User.objects.select_for_update().filter(phone_number=number).exclude(pk=locked.pk)
        if others.filter(phone_verified_at__isnull=False).exists():
            raise ApplicationError(NUMBER_TAKEN)
        for other in others:
            logger.info("Unproved phone claim of user %s dropped: user %s proved it", other.pk, locked.pk)
        others.update(phone_number=None, phone_verified_at=None, updated_at=timezone.now())
        locked.phone_number, locked.phone_verified_at = number, None
        fields.append("phone_number")
    if verified and not locked.phone_number:
        raise ApplicationError(NO_NUMBER)
    if verified != locked.phone_verified or "phone_number" in fields:
        locked.phone_verified_at = timezone.now() if verified else None
        locked.save(update_fields=fields)
        phone_link_changed.send(sender=User, user=locked)
        logger.info(
            "Phone %s of user %s %s (%s, by %s)",
            mask_phone(locked.phone_number),
            locked.pk,
            "verified" if verified else "unverified",
            source,
            actor.pk if actor is not None else "cli",
        )
    user.phone_number, user.phone_verified_at = locked.phone_number, locked.phone_verified_at
    return user


def phones_mark_verified(*, users: QuerySet[User], actor: User | None = None, source: str) -> list[User]:
    """Vouch for the numbers of `users` that have one and are not verified yet (the operator's
    command after the migration, the admin's action); the users changed."""
    changed = []
    for user in users.filter(phone_number__isnull=False, phone_verified_at__isnull=True).order_by("id"):
        changed.append(phone_verified_set(user=user, actor=actor, source=source))
    return changed
