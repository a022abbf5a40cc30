"""Writes for users: registration, creation by a superuser, profile, password, status flags."""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import selectors
from accounts.login_guard import registration_record, registration_retry_after
from accounts.models import PhoneVerification, User, UserSession
from accounts.passwords import password_check
from accounts.services.sessions import LoginResult, session_open, sessions_end_others
from accounts.signals import phone_link_changed
from core.exceptions import ApplicationError, TooManyRequestsError
from core.redact import mask_phone

logger = logging.getLogger("auth")

SIGN_UPS_THROTTLED = "Too many sign-ups from this address. Try again later."


def _check_unique(
    *, username: str | None = None, email: str | None = None, phone: str | None = None, exclude_id: int | None = None
) -> None:
    others = User.objects.exclude(pk=exclude_id) if exclude_id else User.objects.all()
    if username is not None and others.filter(username=username).exists():
        raise ApplicationError("Username already registered")
    if email is not None and others.filter(email__iexact=email).exists():
        raise ApplicationError("Email already registered")
    if phone is not None and others.filter(phone_number=phone).exists():
        raise ApplicationError("Phone number already registered")


def user_create(
    *,
    username: str,
    email: str,
    password: str,
    full_name: str | None = None,
    phone_number: str | None = None,
    is_superuser: bool = False,
) -> User:
    """`phone_number` arrives normalised (E.164) or None. A password breaking the rules raises
    ValidationError({"password": [...]})."""
    password_check(password=password, field="password", user=User(username=username, email=email))
    _check_unique(username=username, email=email, phone=phone_number)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username,
                email,
                password,
                full_name=full_name,
                phone_number=phone_number,
                is_superuser=is_superuser,
            )
    except IntegrityError as exc:  # a concurrent registration won the race
        raise ApplicationError("Username or email already exists") from exc
    logger.info("User registered: id=%s username=%s", user.pk, user.username)
    return user


def user_sign_up(*, ip_address: str, **fields) -> User:
    """Self-registration's new user (the API's and the panel's): at most REGISTRATIONS_PER_IP
    attempts per client address in REGISTRATION_WINDOW_S. Every attempt that gets here counts,
    refused ones too (a taken username, a weak password): they also tell which usernames exist."""
    retry_after = registration_retry_after(ip=ip_address)
    if retry_after is not None:
        logger.warning("Sign-up throttled from %s", ip_address)
        raise TooManyRequestsError(SIGN_UPS_THROTTLED, retry_after=retry_after)
    registration_record(ip=ip_address)
    return user_create(**fields)


def user_register(*, device_info: str | None, ip_address: str, **fields) -> LoginResult:
    """Self-registration creates the user and a first session, exactly as login does."""
    with transaction.atomic():
        user = user_sign_up(ip_address=ip_address, **fields)
        session, tokens = session_open(user=user, device_info=device_info, ip_address=ip_address)
    return LoginResult(user=user, session=session, tokens=tokens)


def user_profile_update(*, user: User, **changes) -> User:
    """Only keys given with a non-null value change (A7); `phone_number` arrives normalised."""
    changes = {key: value for key, value in changes.items() if value is not None}
    unlinked = False
    if "phone_number" in changes:
        _check_unique(phone=changes["phone_number"], exclude_id=user.pk)
        if (changes["phone_number"] or None) != user.phone_number:
            # A new number is only claimed: it links to the account once verified (issue 22).
            unlinked = user.phone_verified
            changes["phone_verified_at"] = None
            PhoneVerification.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())
    for key, value in changes.items():
        setattr(user, key, value)
    try:
        with transaction.atomic():
            # Only the changed columns: `user` was loaded at authentication, and a full save would
            # write back stale flags (undoing a disable or demotion made in the meantime).
            user.save(update_fields=[*changes, "updated_at"])
    except IntegrityError as exc:
        raise ApplicationError("Phone number already registered") from exc
    if unlinked:
        phone_link_changed.send(sender=User, user=user)
    if "phone_number" in changes:
        logger.info("Phone number updated for user %s: %s", user.pk, mask_phone(user.phone_number))
    return user


@transaction.atomic
def user_password_change(
    *, user: User, current_session: UserSession | None, current_password: str, new_password: str
) -> None:
    """A new password breaking the rules raises ValidationError({"new_password": [...]})."""
    password_check(password=new_password, field="new_password", user=user)
    if not user.check_password(current_password):
        raise ApplicationError("Current password is incorrect")
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    sessions_end_others(user=user, current_session=current_session)
    logger.info("Password changed for user %s; other sessions ended", user.pk)


@transaction.atomic
def user_delete(*, actor: User, user_id: int) -> None:
    user = selectors.user_get(user_id=user_id)
    if user.pk == actor.pk:
        raise ApplicationError("Cannot delete your own account")
    user.delete()
    logger.info("User %s deleted by %s", user_id, actor.pk)


@transaction.atomic
def user_active_set(*, actor: User, user_id: int, active: bool) -> User:
    user = selectors.user_get(user_id=user_id)
    if not active and user.pk == actor.pk:
        raise ApplicationError("Cannot disable your own account")
    user.is_active = active
    user.save(update_fields=["is_active", "updated_at"])
    logger.info("User %s %s by %s", user.pk, "enabled" if active else "disabled", actor.pk)
    return user


@transaction.atomic
def user_superuser_set(*, actor: User | None, user_id: int, value: bool) -> User:
    """`actor=None` is the operator's shell (`manage.py set_user_phone --superuser`)."""
    user = selectors.user_get(user_id=user_id)
    if actor is not None and user.pk == actor.pk:
        raise ApplicationError("Cannot change your own superuser status")
    user.is_superuser = value
    user.is_staff = value  # the toggle sets both; an agent is made with user_agent_set
    user.save(update_fields=["is_superuser", "is_staff", "updated_at"])
    logger.info("User %s superuser=%s set by %s", user.pk, value, actor.pk if actor else "cli")
    return user


@transaction.atomic
def user_agent_set(*, actor: User | None, user_id: int, value: bool) -> User:
    """The agent role is `is_staff` without `is_superuser`: the staff panel, the handoff inbox and the
    staff API's messaging routes, nothing that manages users or configuration. `actor=None` is the
    operator's shell."""
    user = selectors.user_get(user_id=user_id)
    if actor is not None and user.pk == actor.pk:
        raise ApplicationError("Cannot change your own agent status")
    if user.is_superuser:
        raise ApplicationError("A superuser is always staff; remove superuser status first")
    user.is_staff = value
    user.save(update_fields=["is_staff", "updated_at"])
    logger.info("User %s agent=%s set by %s", user.pk, value, actor.pk if actor else "cli")
    return user


ROLES = ("user", "agent", "superuser")


@transaction.atomic
def user_role_set(*, actor: User | None, user_id: int, role: str) -> User:
    """One of ROLES, through the two flag services above (the same rules as the admin's actions)."""
    if role not in ROLES:
        raise ApplicationError(f"Role must be one of: {', '.join(ROLES)}")
    user = selectors.user_get(user_id=user_id)
    if role == "superuser":
        return user_superuser_set(actor=actor, user_id=user.pk, value=True)
    if user.is_superuser:
        user = user_superuser_set(actor=actor, user_id=user.pk, value=False)
    return user_agent_set(actor=actor, user_id=user.pk, value=role == "agent")
