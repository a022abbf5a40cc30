"""Writes for accounts: users, sessions, tokens, roles. Each is one transaction (CONTRACT §2.1)."""

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenBackendExpiredToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.login_guard import login_failure_record, login_retry_after, login_success_record
from accounts.models import Role, User, UserRole, UserSession
from accounts.tokens import TokenPair, token_pair_issue
from core.exceptions import (
    ApplicationError,
    ForbiddenError,
    NotFoundError,
    TooManyRequestsError,
    UnauthorizedError,
)
from core.redact import mask_phone

logger = logging.getLogger("auth")


@dataclass(frozen=True)
class LoginResult:
    user: User
    session: UserSession
    tokens: TokenPair


# --- users ----------------------------------------------------------------------------------


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
    """`phone_number` arrives normalised (E.164) or None."""
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


def user_register(*, device_info: str | None, ip_address: str | None, **fields) -> LoginResult:
    """Self-registration creates the user and a first session, exactly as login does (§9.2)."""
    with transaction.atomic():
        user = user_create(**fields)
        session, tokens = session_open(user=user, device_info=device_info, ip_address=ip_address)
    return LoginResult(user=user, session=session, tokens=tokens)


def user_profile_update(*, user: User, **changes) -> User:
    """Only keys given with a non-null value change (A7); `phone_number` arrives normalised."""
    changes = {key: value for key, value in changes.items() if value is not None}
    if "phone_number" in changes:
        _check_unique(phone=changes["phone_number"], exclude_id=user.pk)
    for key, value in changes.items():
        setattr(user, key, value)
    try:
        with transaction.atomic():
            # Only the changed columns: `user` was loaded at authentication, and a full save would
            # write back stale flags (undoing a disable or demotion made in the meantime).
            user.save(update_fields=[*changes, "updated_at"])
    except IntegrityError as exc:
        raise ApplicationError("Phone number already registered") from exc
    if "phone_number" in changes:
        logger.info("Phone number updated for user %s: %s", user.pk, mask_phone(user.phone_number))
    return user


def user_get_for_admin(*, user_id: int) -> User:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFoundError("User not found")
    return user


@transaction.atomic
def user_delete(*, actor: User, user_id: int) -> None:
    user = user_get_for_admin(user_id=user_id)
    if user.pk == actor.pk:
        raise ApplicationError("Cannot delete your own account")
    user.delete()
    logger.info("User %s deleted by %s", user_id, actor.pk)


@transaction.atomic
def user_active_set(*, actor: User, user_id: int, active: bool) -> User:
    user = user_get_for_admin(user_id=user_id)
    if not active and user.pk == actor.pk:
        raise ApplicationError("Cannot disable your own account")
    user.is_active = active
    user.save(update_fields=["is_active", "updated_at"])
    logger.info("User %s %s by %s", user.pk, "enabled" if active else "disabled", actor.pk)
    return user


@transaction.atomic
def user_superuser_set(*, actor: User | None, user_id: int, value: bool) -> User:
    """`actor=None` is the operator's shell (`manage.py set_user_phone --superuser`)."""
    user = user_get_for_admin(user_id=user_id)
    if actor is not None and user.pk == actor.pk:
        raise ApplicationError("Cannot change your own superuser status")
    user.is_superuser = value
    user.save(update_fields=["is_superuser", "is_staff", "updated_at"])
    logger.info("User %s superuser=%s set by %s", user.pk, value, actor.pk if actor else "cli")
    return user


# --- sessions and tokens --------------------------------------------------------------------


def session_open(*, user: User, device_info: str | None, ip_address: str | None) -> tuple[UserSession, TokenPair]:
    """Start a session (one device) with its first token pair; callers hold the transaction."""
    session = UserSession.objects.create(
        user=user,
        session_token=secrets.token_urlsafe(32),
        device_info=(device_info or "Unknown")[:255],
        ip_address=(ip_address or None) and ip_address[:50],
        expires_at=timezone.now() + settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"],
    )
    tokens = token_pair_issue(user=user, session=session)
    session.refresh_jti = tokens.refresh_jti
    session.save(update_fields=["refresh_jti", "updated_at"])
    return session, tokens


def user_login(*, username: str, password: str, device_info: str | None, ip_address: str) -> LoginResult:
    retry_after = login_retry_after(username=username, ip=ip_address)
    if retry_after is not None:
        logger.warning("Login throttled from %s", ip_address)
        raise TooManyRequestsError("Too many failed login attempts. Try again later.", retry_after=retry_after)

    user = User.objects.filter(username=username).first()
    if user is None or not user.check_password(password):
        login_failure_record(username=username, ip=ip_address)
        logger.info("Login failed from %s", ip_address)
        raise UnauthorizedError("Incorrect username or password")
    # Checked after the password on purpose: a wrong password never reveals a disabled account.
    if not user.is_active:
        logger.info("Login refused for disabled user %s from %s", user.pk, ip_address)
        raise ForbiddenError("User is disabled")

    login_success_record(username=username)
    with transaction.atomic():
        session, tokens = session_open(user=user, device_info=device_info, ip_address=ip_address)
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])
    logger.info("Login ok: user %s from %s (session %s)", user.pk, ip_address, session.pk)
    return LoginResult(user=user, session=session, tokens=tokens)


def _blacklist_jtis(jtis: Iterable[str]) -> None:
    for outstanding in OutstandingToken.objects.filter(jti__in=[j for j in jtis if j]):
        BlacklistedToken.objects.get_or_create(token=outstanding)


def _sessions_end(sessions) -> int:
    sessions = list(sessions)
    _blacklist_jtis(session.refresh_jti for session in sessions)
    return UserSession.objects.filter(pk__in=[s.pk for s in sessions]).update(
        is_active=False, updated_at=timezone.now()
    )


def token_refresh(*, raw_token: str) -> TokenPair:
    """Rotate a refresh token: exactly one caller can use it (the blacklist row is the claim)."""
    try:
        payload = token_backend.decode(raw_token, verify=True)
    except TokenBackendExpiredToken as exc:
        raise UnauthorizedError("Refresh token expired") from exc
    except TokenBackendError as exc:
        raise UnauthorizedError("Invalid refresh token") from exc
    if payload.get(api_settings.TOKEN_TYPE_CLAIM) != "refresh" or "jti" not in payload or "sid" not in payload:
        raise UnauthorizedError("Invalid refresh token")

    with transaction.atomic():
        outstanding = OutstandingToken.objects.filter(jti=payload["jti"]).first()
        if outstanding is None:
            raise UnauthorizedError("Refresh token not found or already used")
        if outstanding.expires_at <= timezone.now():
            raise UnauthorizedError("Refresh token expired")
        _, created = BlacklistedToken.objects.get_or_create(token=outstanding)
        if not created:
            raise UnauthorizedError("Refresh token not found or already used")
        session = (
            UserSession.objects.select_related("user")
            .filter(pk=payload["sid"], user_id=payload.get(api_settings.USER_ID_CLAIM))
            .first()
        )
        if session is None or not session.is_live or session.refresh_jti != payload["jti"]:
            raise UnauthorizedError("Refresh token not found or already used")
        if not session.user.is_active:
            raise UnauthorizedError("User is disabled")
        tokens = token_pair_issue(user=session.user, session=session)
        session.refresh_jti = tokens.refresh_jti
        session.save(update_fields=["refresh_jti", "updated_at"])
    return tokens


@transaction.atomic
def user_logout(*, user: User, current_session: UserSession | None, refresh_token: str | None = None) -> None:
    """End the session of the given refresh token when it is the caller's, else the current one."""
    target = current_session
    if refresh_token:
        try:
            payload = token_backend.decode(refresh_token, verify=True)
        except TokenBackendError:  # an unusable token is simply ignored, as in seed 1
            payload = {}
        if str(payload.get(api_settings.USER_ID_CLAIM)) == str(user.pk) and payload.get("jti"):
            _blacklist_jtis([payload["jti"]])
            target = UserSession.objects.filter(pk=payload.get("sid"), user=user).first() or current_session
    if target is not None:
        _sessions_end([target])
    logger.info("User %s logged out", user.pk)


@transaction.atomic
def user_logout_all(*, user: User) -> None:
    _sessions_end(UserSession.objects.filter(user=user, is_active=True))
    _blacklist_jtis(
        OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True).values_list("jti", flat=True)
    )
    logger.info("User %s logged out from all devices", user.pk)


@transaction.atomic
def user_password_change(
    *, user: User, current_session: UserSession | None, current_password: str, new_password: str
) -> None:
    if not user.check_password(current_password):
        raise ApplicationError("Current password is incorrect")
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    others = UserSession.objects.filter(user=user, is_active=True)
    if current_session is not None:
        others = others.exclude(pk=current_session.pk)
    _sessions_end(others)
    logger.info("Password changed for user %s; other sessions ended", user.pk)


@transaction.atomic
def session_delete(*, user: User, session_id: int) -> None:
    session = UserSession.objects.filter(pk=session_id, user=user).first()
    if session is None:
        raise NotFoundError("Session not found")
    sessions_delete(sessions=[session])


@transaction.atomic
def sessions_end(*, sessions: Iterable[UserSession]) -> int:
    """Deactivate sessions (kept for the record) and blacklist their refresh tokens; the admin's
    "end session" action. Their access tokens stop working at once (authentication checks the row)."""
    count = _sessions_end(sessions)
    logger.info("%s session(s) ended by an operator", count)
    return count


@transaction.atomic
def sessions_delete(*, sessions: Iterable[UserSession]) -> int:
    # A deleted row would take its refresh_jti with it: blacklist first, or the token outlives it.
    sessions = list(sessions)
    _blacklist_jtis(session.refresh_jti for session in sessions)
    deleted, _ = UserSession.objects.filter(pk__in=[s.pk for s in sessions]).delete()
    return deleted


# --- roles ----------------------------------------------------------------------------------


def role_create(*, name: str, description: str | None = None) -> Role:
    if Role.objects.filter(name=name).exists():
        raise ApplicationError("Role already exists")
    try:
        with transaction.atomic():
            return Role.objects.create(name=name, description=description)
    except IntegrityError as exc:
        raise ApplicationError("Role already exists") from exc


@transaction.atomic
def role_delete(*, role_id: int) -> None:
    deleted, _ = Role.objects.filter(pk=role_id).delete()
    if not deleted:
        raise NotFoundError("Role not found")


@transaction.atomic
def user_roles_replace(*, user_id: int, role_ids: list[int]) -> None:
    """Replace the user's roles; unknown role ids are ignored (A22)."""
    user = user_get_for_admin(user_id=user_id)
    wanted = set(Role.objects.filter(pk__in=role_ids).values_list("pk", flat=True))
    UserRole.objects.filter(user=user).exclude(role_id__in=wanted).delete()
    existing = set(UserRole.objects.filter(user=user).values_list("role_id", flat=True))
    UserRole.objects.bulk_create([UserRole(user=user, role_id=role_id) for role_id in wanted - existing])
