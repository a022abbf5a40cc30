"""JWT pairs bound to a UserSession (claims `sub`, `username`, `type`, `sid`):
minting them and decoding what clients send back."""

from dataclasses import dataclass

from rest_framework_simplejwt.exceptions import TokenBackendError, TokenBackendExpiredToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.models import User, UserSession
from core.exceptions import UnauthorizedError


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


def _decode(raw_token: str) -> dict:
    # simplejwt annotates `token: Token`, but decodes (and is called by its own Token with) the string.
    return token_backend.decode(raw_token, verify=True)  # type: ignore[arg-type]


def token_claims(*, raw_token: str) -> dict | None:
    """The claims of a token signed here and not expired (any type), or None if it is unusable."""
    try:
        return _decode(raw_token)
    except TokenBackendError:
        return None


def refresh_token_claims(*, raw_token: str) -> dict:
    """The claims of a usable refresh token (signed here, not expired, with `sub`, `jti` and `sid`),
    or UnauthorizedError with the public API's message."""
    try:
        claims = _decode(raw_token)
    except TokenBackendExpiredToken as exc:
        raise UnauthorizedError("Refresh token expired") from exc
    except TokenBackendError as exc:
        raise UnauthorizedError("Invalid refresh token") from exc
    required = {api_settings.USER_ID_CLAIM, "jti", "sid"}
    if claims.get(api_settings.TOKEN_TYPE_CLAIM) != "refresh" or not required <= claims.keys():
        raise UnauthorizedError("Invalid refresh token")
    return claims
