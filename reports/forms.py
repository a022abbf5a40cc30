"""Forms of the panel's report pages; the services check the same rules again (reports.validators)."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.panel import PanelForm
from reports.enums import ReportStatus
from reports.models import TEXT_MAX_LENGTH, TITLE_MAX_LENGTH

STATUS_LABELS = {
    ReportStatus.OPEN: pgettext_lazy("report status", "Open"),  # not the verb of the "Open" buttons
    ReportStatus.IN_PROGRESS: _("In progress"),
    ReportStatus.RESOLVED: _("Resolved"),
}


class ReportForm(PanelForm):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX_LENGTH)
    content = forms.CharField(
        label=_("Description"), max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4}), strip=False
    )

    def clean_content(self) -> str:
        content = self.cleaned_data["content"]
        if not content.strip():
            raise forms.ValidationError(_("This field is required."), code="required")
        return content


class ModerationForm(PanelForm):
    comment = forms.CharField(
        label=_("Comment"), max_length=TEXT_MAX_LENGTH, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    status = forms.ChoiceField(label=_("Status"), choices=list(STATUS_LABELS.items()))


class ResolveForm(PanelForm):
    comment = forms.CharField(
        label=_("Resolution comment"),
        max_length=TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class StatusFilterForm(PanelForm):
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("All")), *STATUS_LABELS.items()], required=False)
