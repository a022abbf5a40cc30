"""Domain errors and the DRF exception handler with the contract's two error dialects (§0.3)."""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler


class ApplicationError(Exception):
    """A domain rule was broken; services raise it, the handler renders it per dialect."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, message: str, *, status_code: int | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
        if status_code is not None:
            self.status_code = status_code


class NotFoundError(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND


class ForbiddenError(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN


class ConflictError(ApplicationError):
    status_code = status.HTTP_409_CONFLICT


def is_seed2_path(path: str) -> bool:
    """Seed-2 URLs (`/api/*` except `/api/v1/*`, and `/twilio/*`) speak `{"error": ...}`."""
    if path.startswith("/api/v1/"):
        return False
    return path.startswith(("/api/", "/twilio/"))


SEED1_PREFIXES = ("/auth", "/messages", "/reports", "/twilio_webhook", "/api/v1/")


def is_seed1_path(path: str) -> bool:
    """Seed-1 URLs (and their `/api/v1/` aliases) speak `{"detail": ...}`."""
    return path.startswith(SEED1_PREFIXES)


def first_message(data: Any) -> str:
    """The first human-readable message in a DRF error structure."""
    if isinstance(data, dict):
        for key, value in data.items():
            message = first_message(value)
            if key not in ("non_field_errors", "detail") and isinstance(value, list | dict):
                return f"{key}: {message}"
            return message
        return ""
    if isinstance(data, list):
        return first_message(data[0]) if data else ""
    return str(data)


def _to_api_exception(exc: Exception) -> Exception:
    if isinstance(exc, ApplicationError):
        api_exc = exceptions.APIException(detail=exc.message)
        api_exc.status_code = exc.status_code
        if retry_after := getattr(exc, "retry_after", None):
            api_exc.wait = retry_after  # DRF turns `wait` into Retry-After
        return api_exc
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
    seed2 = bool(request) and is_seed2_path(request.path)
    if response.status_code == status.HTTP_401_UNAUTHORIZED and not seed2:
        response.setdefault("WWW-Authenticate", "Bearer")

    if isinstance(exc, exceptions.ValidationError):
        response.data = {"error": first_message(exc.detail)} if seed2 else {"detail": exc.detail}
        return response

    if isinstance(exc, exceptions.NotAuthenticated):
        message = "Authentication required." if seed2 else "Not authenticated"
    elif isinstance(exc, exceptions.AuthenticationFailed) and seed2:
        message = "Authentication required."
    elif (
        isinstance(exc, exceptions.PermissionDenied)
        and seed2
        and exc.detail == exceptions.PermissionDenied.default_detail
    ):
        message = "Forbidden."
    else:
        message = first_message(exc.detail) if hasattr(exc, "detail") else str(exc)
    response.data = {"error": message} if seed2 else {"detail": message}
    return response


class UnauthorizedError(ApplicationError):
    status_code = status.HTTP_401_UNAUTHORIZED


class TooManyRequestsError(ApplicationError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
