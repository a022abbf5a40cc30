from core.urls import slash_optional_path
from reports.api import views

# The literal `admin/all` comes before the int route.
urlpatterns = [
    *slash_optional_path("reports", views.ReportsView.as_view(), "reports"),
    *slash_optional_path("reports/admin/all", views.ReportsAllView.as_view(), "reports-admin-all"),
    *slash_optional_path("reports/<int:report_id>", views.ReportDetailView.as_view(), "report"),
    *slash_optional_path("reports/<int:report_id>/comment", views.ReportCommentView.as_view(), "report-comment"),
    *slash_optional_path("reports/<int:report_id>/resolve", views.ReportResolveView.as_view(), "report-resolve"),
]
