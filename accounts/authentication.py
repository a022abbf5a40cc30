"""Bearer authentication with the public API's error texts, bound to live sessions.

Every request reads its session from the database, so a session ended anywhere (logout, revoke,
password change, an operator in another process) stops its tokens on the very next request. The
read is one plain parametrised statement built once from the models' metadata (0.2 ms of CPU): the
ORM spent over a millisecond per request building and compiling the same query, and a cache in
front of it (Redis) would cost more than the statement and need invalidating on every path that
ends a session or changes a user (docs/PERFORMANCE.md, "REST API serving cost")."""

import functools

from django.db import connection, connections
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken
from rest_framework_simplejwt.utils import aware_utcnow

from accounts.models import User, UserSession
from core.db import model_from_row

INVALID_CREDENTIALS = "Could not validate credentials"


@functools.lru_cache(maxsize=1024)
def _decoded(raw_token: str, signing_key: str, algorithm: str) -> AccessToken:
    # The signature check and claim parsing cost more than the session read: done once per token and
    # process (the key and algorithm are part of the cache key, so a changed key decodes again).
    # Claims never change; expiry is checked again on every use, and the session on every request.
    return AccessToken(raw_token)


def access_token(raw_token: str) -> AccessToken:
    """The verified access token, or TokenError (bad signature, wrong type, expired)."""
    token = _decoded(raw_token, str(api_settings.SIGNING_KEY), api_settings.ALGORITHM)
    token.check_exp(current_time=aware_utcnow())
    return token


BIGINT = range(-(2**63), 2**63)  # ids the database can compare; a larger one matches no row


@functools.cache
def _session_user_read(vendor: str, alias: str) -> str:
    """The statement that reads a session and its user as one row: every column of each, in field
    order. Built once per database."""
    quote = connections[alias].ops.quote_name
    columns = [
        f"{table_alias}.{quote(field.column)}"
        for table_alias, model in (("s", UserSession), ("u", User))
        for field in model._meta.concrete_fields
    ]
    session_user = quote(UserSession._meta.get_field("user").column)
    # Identifiers from the models' metadata, quoted; the ids are parameters.
    return (
        f"SELECT {', '.join(columns)} FROM {quote(UserSession._meta.db_table)} s"  # noqa: S608
        f" INNER JOIN {quote(User._meta.db_table)} u ON u.{quote(User._meta.pk.column)} = s.{session_user}"
        f" WHERE s.{quote(UserSession._meta.pk.column)} = %s AND s.{session_user} = %s"
    )


def session_with_user(*, session_id: int, user_id: int) -> UserSession | None:
    """The session with this id if it belongs to this user, its user attached; one query."""
    if session_id not in BIGINT or user_id not in BIGINT:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_session_user_read(connection.vendor, connection.alias), [session_id, user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(UserSession._meta.concrete_fields)
    session = model_from_row(UserSession, row[:split], using=connection.alias)
    session.user = model_from_row(User, row[split:], using=connection.alias)
    return session


class BearerAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate_header(self, request) -> str:
        # Present, so DRF answers 401 (not 403) to unauthenticated calls.
        return "Bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(INVALID_CREDENTIALS)
        try:
            token = access_token(parts[1].decode("latin-1"))
            user_id = int(token[api_settings.USER_ID_CLAIM])
            session_id = int(token["sid"])
        except (TokenError, KeyError, ValueError, TypeError) as exc:
            raise exceptions.AuthenticationFailed(INVALID_CREDENTIALS) from exc

        # A token of an ended session is refused.
        session = session_with_user(session_id=session_id, user_id=user_id)
        if session is None or not session.is_active or session.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed(INVALID_CREDENTIALS)
        user = session.user
        if not user.is_active:
            raise exceptions.PermissionDenied("User is disabled")
        request.user_session = session
        return user, token
