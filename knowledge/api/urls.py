"""`/api/knowledge/...`, each route with and without a trailing slash."""

from core.urls import slash_optional_path
from knowledge.api import views

urlpatterns = [
    *slash_optional_path("knowledge/documents", views.DocumentsView.as_view(), "api-knowledge-documents"),
    *slash_optional_path(
        "knowledge/documents/<int:document_id>", views.DocumentView.as_view(), "api-knowledge-document"
    ),
    *slash_optional_path("knowledge/search", views.SearchView.as_view(), "api-knowledge-search"),
    *slash_optional_path("knowledge/gaps", views.GapsView.as_view(), "api-knowledge-gaps"),
    *slash_optional_path(
        "knowledge/gaps/<int:gap_id>/resolve", views.GapResolveView.as_view(), "api-knowledge-gap-resolve"
    ),
]
