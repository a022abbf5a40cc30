"""The public API's routes, mounted at the root and again under /api/v1/."""

from django.urls import include, path

# The busiest routes first: no URL matches routes of two of these apps (tests/test_urls.py), so the
# order only decides how many patterns a request tries on its way.
urlpatterns = [
    path("", include("messaging.api.urls")),
    path("", include("reports.api.urls")),
    path("", include("accounts.api.urls")),
]
