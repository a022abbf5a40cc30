"""The panel's report pages: the user's own reports (`/app/reports/`) and,
for superusers, report management (`/app/admin/reports/`). The same selectors and services as the
API; a report that is not the user's is a 404 on the user's pages, whoever asks."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import ApplicationError, NotFoundError
from core.panel import error_text
from reports import selectors, services
from reports.access import report_get_visible
from reports.enums import ReportStatus
from reports.exceptions import ReportNotOpenError
from reports.forms import ModerationForm, ReportForm, ResolveForm, StatusFilterForm

# The services' English texts that these pages show, for the catalog (core.panel.error_text).
SERVICE_TEXTS = [
    gettext_noop("Title must not be blank"),
    gettext_noop("Content must not be blank"),
    gettext_noop("Cannot update a report that is not in open status"),
]


def _status_filter(request: HttpRequest) -> tuple[StatusFilterForm, str | None]:
    form = StatusFilterForm(request.GET)
    if not form.is_valid():  # an unknown status shows every report, with the filter's error
        return form, None
    return form, form.cleaned_data["status"] or None


@login_required
@require_http_methods(["GET", "POST"])
def report_list(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            report = services.report_create(reporter=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("Report created."))
            return redirect("panel:report", report_id=report.pk)
    filter_form, status = _status_filter(request)
    context = {
        "form": form,
        "filter_form": filter_form,
        "status": status,
        "reports": selectors.report_list_for_user(user=request.user, status=status),
    }
    return render(request, "reports/report_list.html", context, status=400 if form.errors else 200)


def _owned(request: HttpRequest, report_id: int):
    report = selectors.report_get_owned(user=request.user, report_id=report_id)
    if report is None:
        raise Http404
    return report


@login_required
@require_http_methods(["GET", "POST"])
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _owned(request, report_id)
    form = ReportForm(request.POST or None, initial={"title": report.title, "content": report.content})
    if request.method == "POST" and form.is_valid():
        try:
            services.report_update(actor=request.user, report_id=report.pk, **form.cleaned_data)
        except ReportNotOpenError:
            form.add_error(None, _("This report is no longer open, so it cannot be edited."))
        except ApplicationError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("Report updated."))
            return redirect("panel:report", report_id=report.pk)
        report = _owned(request, report_id)
    context = {
        "report": report,
        "form": form,
        "editable": report.status == ReportStatus.OPEN,
        "comments": selectors.report_comment_list(report=report),
    }
    return render(request, "reports/report_detail.html", context, status=400 if form.errors else 200)


def superuser_required(view):
    """Report management is for superusers alone (the API's IsSuperuser, reports.access again)."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_superuser:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@superuser_required
@require_http_methods(["GET"])
def manage_list(request: HttpRequest) -> HttpResponse:
    filter_form, status = _status_filter(request)
    context = {"filter_form": filter_form, "status": status, "reports": selectors.report_list_all(status=status)}
    return render(request, "reports/manage_list.html", context)


def _manage_page(request: HttpRequest, report_id: int, *, moderation=None, resolve=None, status: int = 200):
    try:
        report = report_get_visible(user=request.user, report_id=report_id)
    except NotFoundError as exc:
        raise Http404 from exc
    context = {
        "report": report,
        "comments": selectors.report_comment_list(report=report),
        "moderation_form": moderation or ModerationForm(initial={"status": report.status}),
        "resolve_form": resolve or ResolveForm(),
    }
    return render(request, "reports/manage_detail.html", context, status=status)


@superuser_required
@require_http_methods(["GET"])
def manage_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    return _manage_page(request, report_id)


@superuser_required
@require_POST
def manage_comment(request: HttpRequest, report_id: int) -> HttpResponse:
    form = ModerationForm(request.POST)
    if form.is_valid():
        try:
            services.report_comment(actor=request.user, report_id=report_id, **form.cleaned_data)
        except NotFoundError as exc:
            raise Http404 from exc
        except ApplicationError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect("panel:manage-report", report_id=report_id)
    return _manage_page(request, report_id, moderation=form, status=400)


@superuser_required
@require_POST
def manage_resolve(request: HttpRequest, report_id: int) -> HttpResponse:
    form = ResolveForm(request.POST)
    if form.is_valid():
        try:
            services.report_resolve(actor=request.user, report_id=report_id, comment=form.cleaned_data["comment"])
        except NotFoundError as exc:
            raise Http404 from exc
        except ApplicationError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("Report resolved."))
            return redirect("panel:manage-report", report_id=report_id)
    return _manage_page(request, report_id, resolve=form, status=400)
