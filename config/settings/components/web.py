"""The Django core: debug and hosts, apps, middleware, templates, languages, static files, logging
and the development server's address."""

from config.env import BASE_DIR, bool_alias, env, int_alias, str_alias
from core.logging import build_logging

DEBUG = bool_alias("DJANGO_DEBUG", "APP_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
APP_ENV = env.str("APP_ENV", default="dev")

INSTALLED_APPS = [
    "core.admin_site.AdminConfig",  # django.contrib.admin with a superuser-only site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "accounts",
    "reports",
    "messaging",
    "knowledge",
    "orchestrator",
    "inbox",
    "twilio_channel",
    "telegram_channel",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "core.middleware.UnstorableTextMiddleware",  # a NUL in the URL: never a 500 from a lookup
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The pages' language: the switcher's cookie, else the browser's Accept-Language (API: English).
    "core.locale.PageLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "core.middleware.DebugJsonNotFoundMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Every page loads only this server's files: no inline script, no eval, no framing (README "Browser
# hardening"). Empty sends no header.
CONTENT_SECURITY_POLICY = env.str(
    "CONTENT_SECURITY_POLICY",
    default=(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
)

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
APPEND_SLASH = False  # API paths have no slash; both forms are routed explicitly (no redirect)

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("pl", "Polski")]
# The compiled catalogs (.mo) are committed, so no gettext tools are needed at run time.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]  # the panel's own script and the vendored Bootstrap and htmx
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Logging ----------------------------------------------------------------------------------
LOGS_FOLDER = str_alias("LOGS_FOLDER", "AI_MESSAGE_LOGS_FOLDER", default="logs")
LOGS_DIR = BASE_DIR / LOGS_FOLDER
LOG_TO_FILES = bool_alias("LOG_TO_FILES", default=True)
LOG_LEVEL = str_alias("LOG_LEVEL", default="INFO").upper()
LOGGING = build_logging(logs_dir=LOGS_DIR, to_files=LOG_TO_FILES, level=LOG_LEVEL)

# --- Dev server -------------------------------------------------------------------------------
AI_MESSAGE_HOST = str_alias("AI_MESSAGE_HOST", "APP_HOST", default="127.0.0.1")
AI_MESSAGE_PORT = int_alias("AI_MESSAGE_PORT", "APP_PORT", default=8000)
AI_MESSAGE_SSL = bool_alias("AI_MESSAGE_SSL", default=False)
AI_MESSAGE_SSL_CERT = str_alias("AI_MESSAGE_SSL_CERT", default="ssl/cert.pem")
AI_MESSAGE_SSL_KEY = str_alias("AI_MESSAGE_SSL_KEY", default="ssl/key.pem")
