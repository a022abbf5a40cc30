from core.urls import seed_path
from reports.api import views

# The literal `admin/all` comes before the int route (CONTRACT §0.3.7).
urlpatterns = [
    *seed_path("reports", views.ReportsView.as_view(), "reports"),
    *seed_path("reports/admin/all", views.ReportsAllView.as_view(), "reports-admin-all"),
    *seed_path("reports/<int:report_id>", views.ReportDetailView.as_view(), "report"),
    *seed_path("reports/<int:report_id>/comment", views.ReportCommentView.as_view(), "report-comment"),
    *seed_path("reports/<int:report_id>/resolve", views.ReportResolveView.as_view(), "report-resolve"),
]
