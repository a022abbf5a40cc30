"""Bearer authentication with the seed-1 error texts, bound to live sessions (CONTRACT §2.0, §9.2)."""

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import UserSession

INVALID_CREDENTIALS = "Could not validate credentials"


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
            token = AccessToken(parts[1].decode("latin-1"))
            user_id = int(token[api_settings.USER_ID_CLAIM])
            session_id = int(token["sid"])
        except (TokenError, KeyError, ValueError, TypeError) as exc:
            raise exceptions.AuthenticationFailed(INVALID_CREDENTIALS) from exc

        # One query: the session and its user. A token of an ended session is refused.
        session = UserSession.objects.select_related("user").filter(pk=session_id, user_id=user_id).first()
        if session is None or not session.is_active or session.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed(INVALID_CREDENTIALS)
        user = session.user
        if not user.is_active:
            raise exceptions.PermissionDenied("User is disabled")
        request.user_session = session
        return user, token
