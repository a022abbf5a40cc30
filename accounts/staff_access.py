"""Who may call the staff API (`/api/*`: the Twilio and the knowledge routes): staff with a Django
session (CSRF checked on unsafe methods) or a JWT, or the `X-API-Key` header when APP_API_KEY is set. Agents (`is_staff`
without `is_superuser`) reach the messaging routes only; configuration, the AI helpers and Twilio's
own copy of the messages are for superusers and the API key."""

from __future__ import annotations

import hmac

from django.conf import settings
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission

from accounts.authentication import BearerAuthentication
from accounts.login_guard import LOGIN_THROTTLED, login_failure_record, login_retry_after
from core.net import client_ip

AUTHENTICATION_REQUIRED = "Authentication required."


class ApiKeyCaller:
    """The caller behind a valid `X-API-Key`: a script of the operator's, with staff rights and no
    user row (its sends have no sender_id)."""

    pk = id = None
    username = "api-key"
    is_active = is_staff = is_superuser = True
    is_authenticated = True
    is_anonymous = False

    def __str__(self) -> str:
        return self.username


class ApiKeyAuthentication:
    header = "X-API-Key"

    def authenticate(self, request):
        supplied = request.headers.get(self.header)
        if supplied is None:
            return None
        # Wrong keys count against the address's login ceiling (accounts.login_guard), and past it
        # even the right key waits: otherwise the answer would tell a guesser when it is right.
        ip = client_ip(request)
        retry_after = login_retry_after(username=None, ip=ip)
        if retry_after is not None:
            throttled = exceptions.Throttled(detail=LOGIN_THROTTLED)  # the login's text, without DRF's suffix
            throttled.wait = retry_after  # Retry-After
            raise throttled
        expected = settings.APP_API_KEY
        if not expected or not hmac.compare_digest(supplied.encode(), expected.encode()):
            login_failure_record(username=None, ip=ip)
            raise exceptions.AuthenticationFailed(AUTHENTICATION_REQUIRED)
        return ApiKeyCaller(), None

    def authenticate_header(self, request) -> str:
        return self.header


class StaffCaller(BasePermission):
    """Staff (agents and superusers) by session or token, or the API key; anyone else who is signed
    in gets 403 "Forbidden."."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)


class SuperuserCaller(BasePermission):
    """Superusers by session or token, or the API key: agents get 403 "Forbidden." too."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_superuser)


# Bearer first: its authenticate_header makes DRF answer 401, not 403, to anonymous callers.
STAFF_AUTHENTICATION = [BearerAuthentication, ApiKeyAuthentication, SessionAuthentication]
STAFF_PERMISSIONS = [StaffCaller]
SUPERUSER_PERMISSIONS = [SuperuserCaller]
