"""Seed-1 routes, mounted at the root and again under /api/v1/ (CONTRACT §3.3)."""

from django.urls import include, path

urlpatterns = [
    path("", include("accounts.api.urls")),
    path("", include("reports.api.urls")),
    path("", include("messaging.api.urls")),
]
