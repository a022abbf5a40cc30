"""Public API: `/auth` endpoints A1–A23: parse, check, call one service, serialise."""

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors
from accounts.api import serializers as s
from accounts.permissions import IsSuperuser
from accounts.services import phones, roles, sessions, users
from core.api import ack, validated
from core.lists import Window, list_window
from core.net import client_ip


def full_list_window(request: Request) -> Window:
    # Sessions and roles were unpaginated: default to the cap so clients still see all rows.
    return list_window(request.query_params, default_limit=settings.LIST_LIMIT_MAX)


def _auth_out(result: sessions.LoginResult) -> dict:
    return {
        "access_token": result.tokens.access,
        "refresh_token": result.tokens.refresh,
        "token_type": "bearer",
        "user": s.UserOutSerializer(result.user).data,
    }


class PublicView(APIView):
    # No session authentication here: these endpoints take credentials in the body, never cookies.
    authentication_classes: list = []
    permission_classes = [AllowAny]


class RegisterView(PublicView):
    input_serializer = s.UserCreateSerializer

    @extend_schema(
        responses={
            201: s.RegisterOutSerializer,
            429: OpenApiResponse(description="Too many sign-ups from this address; retry after Retry-After seconds."),
        },
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = validated(self.input_serializer, request.data)
        result = users.user_register(
            device_info=request.headers.get("User-Agent"), ip_address=client_ip(request), **data
        )
        body = dict(s.UserOutSerializer(result.user).data) | _auth_out(result)
        return Response(body, status=status.HTTP_201_CREATED)


class LoginView(PublicView):
    input_serializer = s.LoginSerializer

    @extend_schema(
        responses={
            200: s.AuthOutSerializer,
            401: OpenApiResponse(description="Incorrect username or password."),
            429: OpenApiResponse(description="Too many failed attempts; retry after Retry-After seconds."),
        },
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = validated(self.input_serializer, request.data)
        result = sessions.user_login(
            username=data["username"],
            password=data["password"],
            device_info=request.headers.get("User-Agent"),
            ip_address=client_ip(request),
        )
        return Response(_auth_out(result))


class RefreshView(PublicView):
    input_serializer = s.RefreshSerializer

    @extend_schema(
        responses={
            200: s.TokenOutSerializer,
            401: OpenApiResponse(description="The refresh token is invalid, expired or already used."),
        },
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = validated(self.input_serializer, request.data)
        tokens = sessions.token_refresh(raw_token=data["refresh_token"])
        return Response({"access_token": tokens.access, "refresh_token": tokens.refresh, "token_type": "bearer"})


class LogoutView(APIView):
    input_serializer = s.LogoutSerializer

    @extend_schema(responses={200: s.MessageOutSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        data = validated(self.input_serializer, request.data or {})
        sessions.user_logout(
            user=request.user,
            current_session=getattr(request, "user_session", None),
            refresh_token=data.get("refresh_token"),
        )
        return ack("Successfully logged out")


class LogoutAllView(APIView):
    @extend_schema(request=None, responses={200: s.MessageOutSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        sessions.user_logout_all(user=request.user)
        return ack("Successfully logged out from all devices")


class MeView(APIView):
    input_serializer = s.ProfileUpdateSerializer

    @extend_schema(responses={200: s.UserOutSerializer}, tags=["auth"])
    def get(self, request: Request) -> Response:
        return Response(s.UserOutSerializer(request.user).data)

    @extend_schema(responses={200: s.UserOutSerializer}, tags=["auth"])
    def put(self, request: Request) -> Response:
        # null means "leave as is"; an explicit "" stays "" and clears the number (stored as NULL).
        data = validated(self.input_serializer, request.data)
        user = users.user_profile_update(user=request.user, **data)
        return Response(s.UserOutSerializer(user).data)


class MePhoneView(APIView):
    input_serializer = s.PhoneSetSerializer

    @extend_schema(responses={200: s.UserOutSerializer}, tags=["auth"])
    def put(self, request: Request) -> Response:
        data = validated(self.input_serializer, request.data)
        user = users.user_profile_update(user=request.user, phone_number=data["phone_number"])
        return Response(s.UserOutSerializer(user).data)


class MePhoneVerifyView(APIView):
    input_serializer = s.PhoneVerifySerializer

    @extend_schema(
        responses={
            202: s.PhoneVerifySentSerializer,
            400: OpenApiResponse(description="No number, a bad number or a channel codes cannot go over."),
            409: OpenApiResponse(description="The number is already verified, or WhatsApp cannot deliver now."),
            429: OpenApiResponse(description="Too many codes to this number or for this account; see Retry-After."),
            503: OpenApiResponse(description="Twilio is not configured."),
        },
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = validated(self.input_serializer, request.data)
        sent = phones.phone_verification_send(user=request.user, channel=data["channel"], phone=data.get("phone"))
        body = {
            "phone_number": sent.number,
            "channel": sent.channel,
            "expires_at": sent.expires_at,
            "expires_in": settings.PHONE_VERIFICATION_CODE_TTL_S,
            "attempts": settings.PHONE_VERIFICATION_MAX_ATTEMPTS,
        }
        return Response(s.PhoneVerifySentSerializer(body).data, status=status.HTTP_202_ACCEPTED)


class MePhoneConfirmView(APIView):
    input_serializer = s.PhoneConfirmSerializer

    @extend_schema(
        responses={
            200: s.UserOutSerializer,
            400: OpenApiResponse(description="Wrong (with the attempts left), expired or dead code: names `code`."),
        },
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = validated(self.input_serializer, request.data)
        user = phones.phone_verification_confirm(user=request.user, code=data["code"])
        return Response(s.UserOutSerializer(user).data)


class MePasswordView(APIView):
    input_serializer = s.PasswordChangeSerializer

    @extend_schema(responses={200: s.MessageOutSerializer}, tags=["auth"])
    def put(self, request: Request) -> Response:
        data = validated(self.input_serializer, request.data)
        users.user_password_change(user=request.user, current_session=getattr(request, "user_session", None), **data)
        if isinstance(request.successful_authenticator, SessionAuthentication):
            # The browser's session is the current one: it stays signed in, as a token's session does.
            update_session_auth_hash(request, request.user)
        return ack("Password changed successfully")


class SuperuserView(APIView):
    permission_classes = [IsSuperuser]


class UsersView(SuperuserView):
    input_serializer = s.UserCreateSerializer
    windowed = True

    @extend_schema(responses={200: s.UserOutSerializer(many=True)}, tags=["users"])
    def get(self, request: Request) -> Response:
        window = list_window(request.query_params)
        return Response(s.UserOutSerializer(window.apply(selectors.user_list()), many=True).data)

    @extend_schema(responses={201: s.UserOutSerializer}, tags=["users"])
    def post(self, request: Request) -> Response:
        data = validated(self.input_serializer, request.data)
        user = users.user_create(**data)
        return Response(s.UserOutSerializer(user).data, status=status.HTTP_201_CREATED)


class UserDetailView(SuperuserView):
    @extend_schema(responses={200: s.UserOutSerializer}, tags=["users"])
    def get(self, request: Request, user_id: int) -> Response:
        return Response(s.UserOutSerializer(selectors.user_get(user_id=user_id)).data)

    @extend_schema(responses={200: s.MessageOutSerializer}, tags=["users"])
    def delete(self, request: Request, user_id: int) -> Response:
        users.user_delete(actor=request.user, user_id=user_id)
        return ack("User deleted successfully")


class UserDisableView(SuperuserView):
    @extend_schema(request=None, responses={200: s.MessageOutSerializer}, tags=["users"])
    def put(self, request: Request, user_id: int) -> Response:
        users.user_active_set(actor=request.user, user_id=user_id, active=False)
        return ack("User disabled successfully")


class UserEnableView(SuperuserView):
    @extend_schema(request=None, responses={200: s.MessageOutSerializer}, tags=["users"])
    def put(self, request: Request, user_id: int) -> Response:
        users.user_active_set(actor=request.user, user_id=user_id, active=True)
        return ack("User enabled successfully")


class UserSuperuserView(SuperuserView):
    input_serializer = s.SuperuserFlagSerializer

    @extend_schema(
        parameters=[OpenApiParameter("is_superuser", bool, required=False)],
        responses={200: s.MessageOutSerializer},
        tags=["users"],
    )
    def put(self, request: Request, user_id: int) -> Response:
        # The query string or, as the Vue client sends it, a JSON body: the query wins (A16).
        source = request.query_params if "is_superuser" in request.query_params else request.data
        value = validated(self.input_serializer, source)["is_superuser"]
        users.user_superuser_set(actor=request.user, user_id=user_id, value=value)
        return ack(f"User superuser status set to {value}")


class UserAgentView(SuperuserView):
    input_serializer = s.AgentFlagSerializer

    @extend_schema(
        parameters=[OpenApiParameter("is_agent", bool, required=False)],
        responses={200: s.MessageOutSerializer},
        tags=["users"],
        description="Agent: staff panel, handoff inbox and the staff API's messaging routes, nothing else. "
        "A superuser is always staff (400).",
    )
    def put(self, request: Request, user_id: int) -> Response:
        # The same two spellings as the superuser flag: the query wins over the body.
        source = request.query_params if "is_agent" in request.query_params else request.data
        value = validated(self.input_serializer, source)["is_agent"]
        users.user_agent_set(actor=request.user, user_id=user_id, value=value)
        return ack(f"User agent status set to {value}")


class SessionsView(APIView):
    windowed = True

    @extend_schema(responses={200: s.SessionOutSerializer(many=True)}, tags=["auth"])
    def get(self, request: Request) -> Response:
        rows = full_list_window(request).apply(selectors.session_list_live(user=request.user))
        return Response(s.SessionOutSerializer(rows, many=True).data)


class SessionDetailView(APIView):
    @extend_schema(responses={200: s.MessageOutSerializer}, tags=["auth"])
    def delete(self, request: Request, session_id: int) -> Response:
        sessions.session_delete(user=request.user, session_id=session_id)
        return ack("Session deleted successfully")


class RolesView(SuperuserView):
    input_serializer = s.RoleCreateSerializer
    windowed = True

    @extend_schema(responses={200: s.RoleOutSerializer(many=True)}, tags=["roles"])
    def get(self, request: Request) -> Response:
        rows = full_list_window(request).apply(selectors.role_list())
        return Response(s.RoleOutSerializer(rows, many=True).data)

    @extend_schema(responses={201: s.RoleOutSerializer}, tags=["roles"])
    def post(self, request: Request) -> Response:
        role = roles.role_create(**validated(self.input_serializer, request.data))
        return Response(s.RoleOutSerializer(role).data, status=status.HTTP_201_CREATED)


class RoleDetailView(SuperuserView):
    @extend_schema(responses={200: s.MessageOutSerializer}, tags=["roles"])
    def delete(self, request: Request, role_id: int) -> Response:
        roles.role_delete(role_id=role_id)
        return ack("Role deleted successfully")


class UserRolesView(SuperuserView):
    input_serializer = s.RoleIdsSerializer

    @extend_schema(responses={200: s.RoleOutSerializer(many=True)}, tags=["roles"])
    def get(self, request: Request, user_id: int) -> Response:
        user = selectors.user_get(user_id=user_id)
        return Response(s.RoleOutSerializer(selectors.role_list_for_user(user=user), many=True).data)

    @extend_schema(responses={200: s.MessageOutSerializer}, tags=["roles"])
    def put(self, request: Request, user_id: int) -> Response:
        data = validated(self.input_serializer, request.data)
        roles.user_roles_replace(user_id=user_id, role_ids=data["role_ids"])
        return ack("Roles assigned successfully")
