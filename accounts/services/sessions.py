"""Writes for sessions and their tokens: login, refresh, logout, ending and deleting sessions."""

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts import selectors
from accounts.login_guard import LOGIN_THROTTLED, login_failure_record, login_retry_after, login_success_record
from accounts.models import User, UserSession
from accounts.tokens import TokenPair, refresh_token_claims, token_claims, token_pair_issue
from core.exceptions import ForbiddenError, NotFoundError, TooManyRequestsError, UnauthorizedError

logger = logging.getLogger("auth")


@dataclass(frozen=True)
class LoginResult:
    user: User
    session: UserSession
    tokens: TokenPair


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
        raise TooManyRequestsError(LOGIN_THROTTLED, retry_after=retry_after)

    user = selectors.user_get_by_username(username=username)
    if user is None:
        # Hash anyway (as Django's ModelBackend does), so an unknown name takes as long as a wrong
        # password and the time of a 401 does not tell which usernames exist.
        User().set_password(password)
    if user is None or not user.check_password(password):
        login_failure_record(username=username, ip=ip_address)
        logger.info("Login failed from %s", ip_address)
        raise UnauthorizedError("Incorrect username or password")
    # Checked after the password on purpose: a wrong password never reveals a disabled account.
    if not user.is_active:
        logger.info("Login refused for disabled user %s from %s", user.pk, ip_address)
        raise ForbiddenError("User is disabled")

    login_success_record(username=username, ip=ip_address)
    with transaction.atomic():
        session, tokens = session_open(user=user, device_info=device_info, ip_address=ip_address)
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])
    logger.info("Login ok: user %s from %s (session %s)", user.pk, ip_address, session.pk)
    return LoginResult(user=user, session=session, tokens=tokens)


def _blacklist(outstanding: QuerySet[OutstandingToken]) -> None:
    """Blacklist the given outstanding tokens in one INSERT (plus the SELECT of those not yet
    blacklisted), however many there are; a row a concurrent request inserted first is skipped."""
    pending = outstanding.filter(blacklistedtoken__isnull=True).order_by().values_list("pk", flat=True)
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token_id=pk) for pk in pending], ignore_conflicts=True)


def _blacklist_jtis(jtis: Iterable[str | None]) -> None:
    _blacklist(OutstandingToken.objects.filter(jti__in=[jti for jti in jtis if jti]))


def _sessions_end(sessions: Iterable[UserSession]) -> int:
    sessions = list(sessions)
    _blacklist_jtis(session.refresh_jti for session in sessions)
    return UserSession.objects.filter(pk__in=[s.pk for s in sessions]).update(
        is_active=False, updated_at=timezone.now()
    )


def token_refresh(*, raw_token: str) -> TokenPair:
    """Rotate a refresh token: exactly one caller can use it (the blacklist row is the claim)."""
    claims = refresh_token_claims(raw_token=raw_token)
    with transaction.atomic():
        outstanding = OutstandingToken.objects.filter(jti=claims["jti"]).first()
        if outstanding is None:
            raise UnauthorizedError("Refresh token not found or already used")
        if outstanding.expires_at <= timezone.now():
            raise UnauthorizedError("Refresh token expired")
        _, created = BlacklistedToken.objects.get_or_create(token=outstanding)
        if not created:
            raise UnauthorizedError("Refresh token not found or already used")
        session = selectors.session_get(session_id=claims["sid"], user_id=claims[api_settings.USER_ID_CLAIM])
        if session is None or not session.is_live or session.refresh_jti != claims["jti"]:
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
        claims = token_claims(raw_token=refresh_token) or {}  # an unusable token is simply ignored
        if str(claims.get(api_settings.USER_ID_CLAIM)) == str(user.pk) and claims.get("jti"):
            _blacklist_jtis([claims["jti"]])
            named = selectors.session_get(session_id=claims["sid"], user_id=user.pk) if "sid" in claims else None
            target = named or current_session
    if target is not None:
        _sessions_end([target])
    logger.info("User %s logged out", user.pk)


@transaction.atomic
def user_logout_all(*, user: User) -> None:
    # Every refresh token of the user (those of its sessions included) in one INSERT.
    _blacklist(OutstandingToken.objects.filter(user=user))
    UserSession.objects.filter(user=user, is_active=True).update(is_active=False, updated_at=timezone.now())
    logger.info("User %s logged out from all devices", user.pk)


@transaction.atomic
def sessions_end_others(*, user: User, current_session: UserSession | None) -> int:
    """End every active session of the user but the current one (after a password change)."""
    others = UserSession.objects.filter(user=user, is_active=True)
    if current_session is not None:
        others = others.exclude(pk=current_session.pk)
    return _sessions_end(others)


@transaction.atomic
def session_delete(*, user: User, session_id: int) -> None:
    session = selectors.session_get(session_id=session_id, user_id=user.pk)
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
