"""Superuser console for reports. Every change goes through the services, so the comment history,
`Report.comment` and resolved_at/resolved_by stay exactly as the API would leave them."""

from functools import partial

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from core.exceptions import ApplicationError
from reports import services
from reports.enums import ReportStatus
from reports.models import Report, ReportComment


class ReportCommentInline(admin.TabularInline):
    model = ReportComment
    extra = 0
    can_delete = False
    fields = ("created_at", "author", "status_from", "status_to", "body")
    readonly_fields = fields
    ordering = ("created_at", "id")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReportAdminForm(forms.ModelForm):
    new_comment = forms.CharField(
        label="New comment", required=False, widget=forms.Textarea(attrs={"rows": 4}), strip=False
    )
    new_status = forms.ChoiceField(
        label="New status", required=False, choices=[("", "(keep current)"), *ReportStatus.choices]
    )

    class Meta:
        model = Report
        fields: list[str] = []


REPORT_FIELDS = (
    "reporter", "title", "content", "status", "comment",
    "resolved_at", "resolved_by", "created_at", "updated_at",
)  # fmt: skip


def _status_set(status: str):
    """A bulk action's call: move a report to `status` with no comment."""
    return partial(services.report_comment, comment="", status=status)


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    form = ReportAdminForm
    list_display = ("id", "title", "reporter", "status", "created_at", "resolved_at")
    list_display_links = ("id", "title")
    list_filter = ("status",)
    search_fields = ("title", "content", "reporter__username")
    list_select_related = ("reporter",)
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    # The report itself is the user's text; superusers answer it, they do not rewrite it (R4).
    readonly_fields = REPORT_FIELDS
    fieldsets = (
        (None, {"fields": REPORT_FIELDS}),
        ("Respond", {"fields": ("new_comment", "new_status")}),
    )
    inlines = (ReportCommentInline,)
    actions = ("mark_in_progress", "mark_resolved", "reopen")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Reports are filed by users (API, panel, AI tool), always through report_create.
        return False

    def save_model(self, request: HttpRequest, obj: Report, form: ReportAdminForm, change: bool) -> None:
        comment = form.cleaned_data.get("new_comment") or ""
        status = form.cleaned_data.get("new_status") or None
        if not comment.strip() and status in (None, obj.status):
            return  # nothing to record
        services.report_comment(actor=request.user, report_id=obj.pk, comment=comment, status=status)

    def _bulk(self, request: HttpRequest, queryset: QuerySet[Report], call, done: str) -> None:
        count = 0
        for report_id in queryset.values_list("pk", flat=True):
            try:
                call(actor=request.user, report_id=report_id)
            except ApplicationError as exc:
                self.message_user(request, f"Report #{report_id}: {exc.message}", messages.ERROR)
            else:
                count += 1
        self.message_user(request, f"{count} report(s) {done}.", messages.SUCCESS)

    @admin.action(description="Mark selected reports in progress")
    def mark_in_progress(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        queryset = queryset.exclude(status=ReportStatus.IN_PROGRESS)
        self._bulk(request, queryset, _status_set(ReportStatus.IN_PROGRESS), "marked in progress")

    @admin.action(description="Resolve selected reports")
    def mark_resolved(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        self._bulk(request, queryset.exclude(status=ReportStatus.RESOLVED), services.report_resolve, "resolved")

    @admin.action(description="Reopen selected reports")
    def reopen(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        self._bulk(request, queryset.exclude(status=ReportStatus.OPEN), _status_set(ReportStatus.OPEN), "reopened")
