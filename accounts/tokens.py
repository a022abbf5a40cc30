"""JWT pairs bound to a UserSession (claims `sub`, `username`, `type`, `sid`; CONTRACT §2.0, §9.2)."""

from dataclasses import dataclass

from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.models import User, UserSession


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    refresh_jti: str


def token_pair_issue(*, user: User, session: UserSession) -> TokenPair:
    """Mint a refresh token (recorded as outstanding) and its access token for one session."""
    refresh = RefreshToken()
    refresh[api_settings.USER_ID_CLAIM] = str(user.pk)
    refresh["username"] = user.username
    refresh["sid"] = session.pk
    OutstandingToken.objects.create(
        user=user,
        jti=refresh[api_settings.JTI_CLAIM],
        token=str(refresh),
        created_at=refresh.current_time,
        expires_at=datetime_from_epoch(refresh["exp"]),
    )
    access = refresh.access_token  # copies sub/username/sid, gets its own type, exp and jti
    return TokenPair(access=str(access), refresh=str(refresh), refresh_jti=refresh[api_settings.JTI_CLAIM])
