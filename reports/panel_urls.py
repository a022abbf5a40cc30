"""The panel's report pages, under `/app/`."""

from django.urls import path

from reports import views

urlpatterns = [
    path("reports/", views.report_list, name="reports"),
    path("reports/<int:report_id>/", views.report_detail, name="report"),
    path("admin/reports/", views.manage_list, name="manage-reports"),
    path("admin/reports/<int:report_id>/", views.manage_detail, name="manage-report"),
    path("admin/reports/<int:report_id>/comment/", views.manage_comment, name="manage-report-comment"),
    path("admin/reports/<int:report_id>/resolve/", views.manage_resolve, name="manage-report-resolve"),
]
