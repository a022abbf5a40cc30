"""The DRF exception handler: domain errors get their status code here, and every error is
rendered in the dialect of the path that was called."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from core.api.dialects import first_message, is_staff_api_path
from core.cache import RETRY_AFTER_S, is_cache_outage, outage
from core.exceptions import (
    ApplicationError,
    BadGatewayError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ServiceUnavailableError,
    TooManyRequestsError,
    UnauthorizedError,
)

logger = logging.getLogger(__name__)

# Most specific first: every domain error is an ApplicationError.
STATUS_CODES: tuple[tuple[type[ApplicationError], int], ...] = (
    (NotFoundError, status.HTTP_404_NOT_FOUND),
    (ForbiddenError, status.HTTP_403_FORBIDDEN),
    (ConflictError, status.HTTP_409_CONFLICT),
    (UnauthorizedError, status.HTTP_401_UNAUTHORIZED),
    (TooManyRequestsError, status.HTTP_429_TOO_MANY_REQUESTS),
    (ServiceUnavailableError, status.HTTP_503_SERVICE_UNAVAILABLE),
    (BadGatewayError, status.HTTP_502_BAD_GATEWAY),
    (ApplicationError, status.HTTP_400_BAD_REQUEST),
)


def status_code_for(exc: ApplicationError) -> int:
    return next(code for kind, code in STATUS_CODES if isinstance(exc, kind))


def _to_api_exception(exc: Exception) -> Exception:
    if isinstance(exc, ApplicationError):
        api_exc = exceptions.APIException(detail=exc.message)
        api_exc.status_code = status_code_for(exc)
        if isinstance(exc, TooManyRequestsError | ServiceUnavailableError):
            api_exc.wait = exc.retry_after  # DRF turns `wait` into Retry-After
        return api_exc
    if isinstance(exc, DatabaseOperationalError | DatabaseInterfaceError):
        # The database is unreachable or refused the connection (a lock timeout on SQLite, too):
        # nothing was half-saved (each write is one transaction), so the client may simply retry.
        logger.warning("Database unavailable for an API request: %s", type(exc).__name__)
        return _to_api_exception(
            ServiceUnavailableError("Service temporarily unavailable. Try again later.", retry_after=RETRY_AFTER_S)
        )
    if is_cache_outage(exc):
        # A cache call outside core.cache.cache_or_fallback (a DRF throttle, say): a JSON 503 in the
        # path's dialect, and the same once-a-minute warning, instead of a 500 with a traceback.
        outage.failed(exc, fallback="the API answers 503")
        return _to_api_exception(
            ServiceUnavailableError("Service temporarily unavailable. Try again later.", retry_after=RETRY_AFTER_S)
        )
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(detail=as_serializer_error(exc))
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def exception_handler(exc: Exception, context: dict) -> Response | None:
    exc = _to_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    request = context.get("request")
    staff_api = bool(request) and is_staff_api_path(request.path)
    if response.status_code == status.HTTP_401_UNAUTHORIZED and not staff_api:
        response.setdefault("WWW-Authenticate", "Bearer")

    if isinstance(exc, exceptions.ValidationError):
        response.data = {"error": first_message(exc.detail)} if staff_api else {"detail": exc.detail}
        return response

    if isinstance(exc, exceptions.NotAuthenticated):
        message = "Authentication required." if staff_api else "Not authenticated"
    elif isinstance(exc, exceptions.AuthenticationFailed) and staff_api:
        message = "Authentication required."
    elif (
        isinstance(exc, exceptions.PermissionDenied)
        and staff_api
        and exc.detail == exceptions.PermissionDenied.default_detail
    ):
        message = "Forbidden."
    else:
        message = first_message(exc.detail) if hasattr(exc, "detail") else str(exc)
    response.data = {"error": message} if staff_api else {"detail": message}
    return response
