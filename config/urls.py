from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import views as core_views
from core.api.views import ApiRootView
from core.urls import slash_optional_path

handler400 = "core.views.bad_request"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"

urlpatterns = [
    path("", core_views.root, name="root"),
    path("health", core_views.health, name="health"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("ready", core_views.ready, name="ready"),
    path("db-test", core_views.db_test, name="db-test"),
    # The hot paths first: Twilio's three webhooks (Twilio waits on each), then the public API,
    # before the ~90 panel, admin and staff API patterns. Their prefixes (twilio/, twilio_webhook,
    # auth/, messages, reports) match none of the others', so no URL changes view (tests/test_urls.py).
    path("", include("twilio_channel.urls")),
    path("", include("telegram_channel.urls")),  # telegram/webhook and the link page
    path("", include("config.public_api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (`?script`), not inline (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("docs", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),  # session login/logout/register pages
    path("i18n/", include("django.conf.urls.i18n")),  # the language switcher (set_language)
    # The web panel for end users; each app serves the pages of its data.
    path("app/", include("config.panel_urls")),
    *slash_optional_path("api/v1", ApiRootView.as_view(), "api-root"),  # the browsable API's entry page
    # The staff panel over the Twilio channel: /chat/<participant> and the /staff/ forms.
    path("", include("twilio_channel.panel_urls", namespace="staff")),
    path("api/", include("knowledge.api.urls")),  # the knowledge base's staff API
    path("api/", include("twilio_channel.api.urls")),  # the staff API (not /api/v1/: that is the public API)
    path("api/v1/", include(("config.public_api_urls", "v1"), namespace="v1")),
]
