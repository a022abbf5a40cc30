"""drf-spectacular hooks for the project's schema (served at /api/schema/)."""

from django.contrib.auth import get_user_model
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import AllowAny

from core.api.dialects import is_staff_api_path
from core.lists import SkipLimitSerializer

API_V1_PREFIX = "/api/v1/"
BODY_METHODS = ("POST", "PUT", "PATCH")


def canonical_path(path: str) -> str:
    """The path an alias stands for: without the `/api/v1/` prefix and the trailing slash."""
    if path.startswith(API_V1_PREFIX):
        path = "/" + path.removeprefix(API_V1_PREFIX)
    return path.rstrip("/") or "/"


def drop_slash_aliases(endpoints: list, **kwargs) -> list:
    """API routes answer with and without a trailing slash (core.urls.slash_optional_path), and again under
    `/api/v1/` (config.urls); the schema lists each operation once, under its slash-less path
    without the prefix, so operation ids stay unique and Swagger shows one set. An alias is dropped
    only when the path it stands for is routed with the same method."""
    routed = {(path, method) for path, _regex, method, _view in endpoints}
    return [
        endpoint
        for endpoint in endpoints
        if canonical_path(endpoint[0]) == endpoint[0] or (canonical_path(endpoint[0]), endpoint[2]) not in routed
    ]


ERROR_DESCRIPTIONS = {
    400: "Invalid input; the body names each field at fault.",
    401: "Missing, invalid or expired credentials.",
    403: "Not allowed: a superuser-only operation, someone else's object, or a disabled account.",
    404: "No such object (or one the caller may not see).",
}
# The two error dialects of core.exceptions: the public API says `detail` (a text, or the fields at
# fault with their messages), the staff API says `error`.
PUBLIC_API_ERROR = ResolvedComponent(
    name="ErrorDetail",
    type=ResolvedComponent.SCHEMA,
    object="ErrorDetail",
    schema={
        "type": "object",
        "properties": {
            "detail": {
                "oneOf": [
                    {"type": "string"},
                    {"type": "object", "description": "Each field at fault, with its messages."},
                ]
            }
        },
        "required": ["detail"],
    },
)
STAFF_API_ERROR = ResolvedComponent(
    name="Error",
    type=ResolvedComponent.SCHEMA,
    object="Error",
    schema={"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]},
)


class ProjectAutoSchema(AutoSchema):
    """drf-spectacular's operations plus the errors each one can answer with, in its dialect's body.

    Read off the operation: input (a body or query parameters) can be invalid (400), a path parameter
    can name a missing object (404), an authenticated operation can meet bad credentials (401) and
    refusals (403). Others are declared where they arise, with `extend_schema(responses={404:
    OpenApiResponse(description=...)})`; this fills in their body.

    A view names what it reads, for this schema and the browsable API's forms alike: its body's
    serializer in `input_serializer` (for its POST, PUT or PATCH), and `windowed = True` when its
    GET lists rows in a `skip`/`limit` window (core.lists)."""

    def get_request_serializer(self):
        declared = getattr(self.view, "input_serializer", None)
        if declared is not None and self.method in BODY_METHODS:
            return declared
        return super().get_request_serializer()

    def get_override_parameters(self) -> list:
        window = [SkipLimitSerializer] if self.method == "GET" and getattr(self.view, "windowed", False) else []
        return [*window, *super().get_override_parameters()]

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        component = STAFF_API_ERROR if is_staff_api_path(path) else PUBLIC_API_ERROR
        registry.register_on_missing(component)
        responses = operation.setdefault("responses", {})
        for code in self._error_statuses(operation):
            responses.setdefault(str(code), {"description": ERROR_DESCRIPTIONS[code]})
        for code, response in responses.items():
            if code.startswith("4") and "content" not in response:
                response["content"] = {"application/json": {"schema": component.ref}}
        return operation

    def _error_statuses(self, operation: dict) -> set[int]:
        statuses = set()
        places = {parameter["in"] for parameter in operation.get("parameters", [])}
        if "requestBody" in operation or "query" in places:
            statuses.add(400)
        if "path" in places:
            statuses.add(404)
        if not any(isinstance(permission, AllowAny) for permission in self.view.get_permissions()):
            statuses |= {401, 403}
        return statuses


class AudienceSchemaGenerator(SchemaGenerator):
    """The schema (and Swagger UI) each caller gets lists what their role may call: anonymous callers
    and users the public and user routes, agents also the staff messaging routes, superusers and the
    API key everything. Each operation is kept when the caller passes its view's permission checks
    (SERVE_PUBLIC off); an anonymous caller is asked as a signed-in user without flags would be, so
    the docs still show how to log in and what a user can do. The command-line export (no request)
    lists everything."""

    def has_view_permissions(self, path, method, view) -> bool:
        request = view.request
        if request is not None and not request.user.is_authenticated:
            request.user = get_user_model()(is_active=True)  # unsaved: an ordinary user, no flags
        return super().has_view_permissions(path, method, view)
