"""The one gate to a report: API endpoints, admin actions and AI tools all come through here,
so a user can never read or change someone else's report."""

from accounts.models import User
from core.exceptions import ForbiddenError, NotFoundError
from reports.enums import ReportStatus
from reports.exceptions import ReportNotOpenError
from reports.models import Report

REPORT_NOT_FOUND = "Report not found"
NOT_AUTHORIZED_VIEW = "Not authorized to view this report"
NOT_AUTHORIZED_UPDATE = "Not authorized to update this report"
SUPERUSER_REQUIRED = "Superuser access required"


def _locked(report_id: int) -> Report:
    # Plain row lock, no joins: PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
    report = Report.objects.select_for_update().filter(pk=report_id).first()
    if report is None:
        raise NotFoundError(REPORT_NOT_FOUND)
    return report


def report_get_visible(*, user: User, report_id: int) -> Report:
    """Owner or superuser. A foreign id is 403, not 404 (R3)."""
    report = Report.objects.select_related("reporter", "resolved_by").filter(pk=report_id).first()
    if report is None:
        raise NotFoundError(REPORT_NOT_FOUND)
    if report.reporter_id != user.pk and not user.is_superuser:
        raise ForbiddenError(NOT_AUTHORIZED_VIEW)
    return report


def report_for_update(*, user: User, report_id: int) -> Report:
    """The owner's edit (R4), locked. Superusers get no exception: they moderate, they do not rewrite."""
    report = _locked(report_id)
    if report.reporter_id != user.pk:
        raise ForbiddenError(NOT_AUTHORIZED_UPDATE)
    if report.status != ReportStatus.OPEN:
        raise ReportNotOpenError(report_id=report.pk, status=report.status)
    return report


def report_for_moderation(*, user: User, report_id: int) -> Report:
    """Comment, status change, resolve (R6, R7), locked; checked here too because services are
    callable without the API's permission classes (admin, tools, shell)."""
    if not user.is_superuser:
        raise ForbiddenError(SUPERUSER_REQUIRED)
    return _locked(report_id)
