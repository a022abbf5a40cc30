"""The browsable API's entry page (`/api/v1/`): links to the main endpoints."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

# (key in the body, URL name under the `v1` namespace)
LINKS = [
    ("messages", "messages"),
    ("conversations", "conversations"),
    ("reports", "reports"),
    ("me", "auth-me"),
    ("sessions", "auth-sessions"),
]
SUPERUSER_LINKS = [
    ("users", "auth-users"),
    ("roles", "auth-roles"),
    ("all_reports", "reports-admin-all"),
]


class ApiRootView(APIView):
    """The main endpoints of the API; each page shows what it answers and, where it takes input, a
    form to send it. Swagger UI at /api/docs/ describes every endpoint. In a browser, log in with the
    link at the top; API clients send `Authorization: Bearer <access_token>` from `POST /auth/login`."""

    name = _("AI Messaging API")
    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        links = LINKS + (SUPERUSER_LINKS if request.user.is_superuser else [])
        body = {key: reverse(f"v1:{name}", request=request) for key, name in links}
        body["docs"] = reverse("swagger-ui", request=request)
        return Response(body)
