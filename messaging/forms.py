"""Forms of the panel's conversation pages; the services check the same rules again."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.panel import PanelForm
from messaging.models import CONTENT_MAX_LENGTH


class MessageForm(PanelForm):
    content = forms.CharField(
        label=_("Message"),
        max_length=CONTENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "data-enter-submits": "true"}),
        error_messages={"required": _("Type a message first.")},
    )


class MessageEditForm(PanelForm):
    content = forms.CharField(label=_("Message"), max_length=CONTENT_MAX_LENGTH, strip=False)

    def clean_content(self) -> str:
        content = self.cleaned_data["content"]
        if not content.strip():
            raise forms.ValidationError(_("A message cannot be empty."))
        return content


class NewMessageForm(MessageForm):
    recipient = forms.IntegerField(
        label=_("Recipient"), error_messages={"required": _("Choose a recipient."), "invalid": _("Choose a recipient.")}
    )

    field_order = ["recipient", "content"]

    def clean_recipient(self) -> int:
        recipient = self.cleaned_data["recipient"]
        if recipient != settings.AI_BOT_USER_ID and recipient <= 0:
            raise forms.ValidationError(_("Choose a recipient."))
        return recipient
