"""Security and auth: users and logins, their limits, phone verification, tokens, the REST
framework and the API schema."""

from datetime import timedelta
from typing import Any

from config.env import env, int_alias, str_alias
from config.settings.components.web import SECRET_KEY

# --- Auth -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.ThrottledModelBackend"]  # admin logins share the API throttle
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"  # a login without `next`: the root sends each user to their panel
# What `/` shows staff: a dotted view path, so core never imports the channel app.
STAFF_HOME_VIEW = "twilio_channel.panel_views.dashboard.dashboard"
LOGOUT_REDIRECT_URL = LOGIN_URL
# The one definition of the password rules (accounts.passwords); min 6 is the Vue client's rule.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 6}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login and sign-up limits (accounts.login_guard): a username locks at one client address after
# LOGIN_FAILURES_PER_USERNAME_AND_IP failures; LOGIN_FAILURES_PER_USERNAME over all addresses and
# LOGIN_FAILURES_PER_IP over all usernames (and wrong X-API-Key guesses) are the ceilings; all
# within LOGIN_FAILURE_WINDOW_S. Sign-ups (API and panel together) per address per window.
LOGIN_FAILURES_PER_USERNAME_AND_IP = int_alias("LOGIN_FAILURES_PER_USERNAME_AND_IP", default=5)
LOGIN_FAILURES_PER_USERNAME = int_alias("LOGIN_FAILURES_PER_USERNAME", default=100)
LOGIN_FAILURES_PER_IP = int_alias("LOGIN_FAILURES_PER_IP", default=50)
LOGIN_FAILURE_WINDOW_S = int_alias("LOGIN_FAILURE_WINDOW_S", default=30 * 60)
REGISTRATIONS_PER_IP = int_alias("REGISTRATIONS_PER_IP", default=10)
REGISTRATION_WINDOW_S = int_alias("REGISTRATION_WINDOW_S", default=60 * 60)
TRUSTED_PROXY_COUNT = int_alias("TRUSTED_PROXY_COUNT", default=0)
# Phone verification (issue 22): a number links its SMS/WhatsApp to an account only once proved
# by a code sent to it. Codes live PHONE_VERIFICATION_CODE_TTL_S and take MAX_ATTEMPTS guesses;
# sends are limited per number and per account over PHONE_VERIFICATION_SEND_WINDOW_S.
PHONE_VERIFICATION_CODE_TTL_S = env.int("PHONE_VERIFICATION_CODE_TTL_S", default=600)
PHONE_VERIFICATION_MAX_ATTEMPTS = env.int("PHONE_VERIFICATION_MAX_ATTEMPTS", default=5)
PHONE_VERIFICATION_SENDS_PER_NUMBER = env.int("PHONE_VERIFICATION_SENDS_PER_NUMBER", default=3)
PHONE_VERIFICATION_SENDS_PER_USER = env.int("PHONE_VERIFICATION_SENDS_PER_USER", default=3)
PHONE_VERIFICATION_SEND_WINDOW_S = env.int("PHONE_VERIFICATION_SEND_WINDOW_S", default=3600)
PHONE_VERIFICATION_CHANNELS = env.list("PHONE_VERIFICATION_CHANNELS", default=["sms", "whatsapp"])
# An approved WhatsApp template whose variable {{1}} is the code, for WhatsApp outside the 24 h window.
PHONE_VERIFICATION_WHATSAPP_CONTENT_SID = env.str("PHONE_VERIFICATION_WHATSAPP_CONTENT_SID", default="")
# What sends a code (`func(*, number, channel, code, text)`): a dotted path, so accounts never
# imports the channel app.
PHONE_VERIFICATION_SENDER = "twilio_channel.verification.verification_code_send"

JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default="")
# A settings module that changes SECRET_KEY or JWT_SIGNING_KEY sets SIGNING_KEY again.
SIMPLE_JWT: dict[str, Any] = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=30)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "sub",
    "TOKEN_TYPE_CLAIM": "type",
    "JTI_CLAIM": "jti",
    "SIGNING_KEY": JWT_SIGNING_KEY or SECRET_KEY,
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON first: it is what `Accept: */*` or no Accept header gets. Browsers (text/html) get the
    # browsable API.
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "core.api.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",  # DRF's, with too deep a nesting a 400 rather than a 500
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.openapi.ProjectAutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "VIEW_DESCRIPTION_FUNCTION": "core.api.descriptions.view_description",  # docstrings' `code`, no markdown package
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "AI Messaging API",
    "DESCRIPTION": (
        "Users talk to an AI assistant and to each other over the web, the API, SMS and WhatsApp.\n\n"
        "Every endpoint listed here also answers under the `/api/v1/` prefix, an alias of the same "
        "endpoint: `/api/v1/auth/login` is `/auth/login`. Paths work with and without a trailing slash."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["core.openapi.drop_slash_aliases"],
    # Phone verification's `channel` (sms, whatsapp) beside other `channel` fields with more values.
    "ENUM_NAME_OVERRIDES": {"VerificationChannelEnum": [("sms", "sms"), ("whatsapp", "whatsapp")]},
    # Each caller's schema lists the routes their role may call (core.openapi.AudienceSchemaGenerator):
    # staff routes only for staff. The API key counts as staff, as on the staff API.
    "DEFAULT_GENERATOR_CLASS": "core.openapi.AudienceSchemaGenerator",
    "SERVE_PUBLIC": False,
    "SERVE_AUTHENTICATION": [
        "accounts.authentication.BearerAuthentication",
        "twilio_channel.api.access.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
}

# Machine access to the staff API (/api/..., not /api/v1/...) with `X-API-Key`; empty disables it.
APP_API_KEY = str_alias("APP_API_KEY", default="")
