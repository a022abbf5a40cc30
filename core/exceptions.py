"""Domain errors. Services raise them and know nothing of HTTP: `core.api.errors` gives each kind
its status code and renders it in the dialect of the path that was called."""


class ApplicationError(Exception):
    """A domain rule was broken by the caller's input (a bad request)."""

    def __init__(self, message: str, *, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class NotFoundError(ApplicationError):
    """No such object, or one the caller may not know exists."""


class ForbiddenError(ApplicationError):
    """The caller is known but may not do this."""


class ConflictError(ApplicationError):
    """The request is valid but the object's state refuses it (e.g. a recipient who opted out)."""


class UnauthorizedError(ApplicationError):
    """Credentials are missing, wrong or no longer valid."""


class TooManyRequestsError(ApplicationError):
    """Refused for now; the caller may try again after `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class ServiceUnavailableError(ApplicationError):
    """A part this needs (the shared cache, say) is down; the caller may try again after
    `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class BadGatewayError(ApplicationError):
    """A service this depends on (Twilio, the LLM provider) failed; the message says so without its
    details, which go to the log."""
