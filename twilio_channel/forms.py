"""Forms of the staff panel. They check the shape of what was typed; the services
check the rules again and their refusals are shown on the form in words."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.json_input import json_loads
from core.panel import PanelForm
from inbox.models import AUTO_REPLY_MAX_LENGTH

SEND_MAX_LENGTH = 1000  # the chat composer and the send form
CONTENT_SID_PATTERN = r"^HX[0-9a-fA-F]{32}$"


class StaffForm(PanelForm):
    """A PanelForm whose checkboxes are Bootstrap switches rather than text boxes."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = "form-check-input"
                field.widget.attrs["role"] = "switch"


class SendForm(StaffForm):
    to = forms.CharField(
        label=_("Recipient"),
        max_length=64,
        widget=forms.TextInput(attrs={"type": "tel", "placeholder": "+48123456789", "autocomplete": "off"}),
        help_text=_("E.164 number; prefix it with whatsapp: to send over WhatsApp."),
        error_messages={"required": _("Enter the recipient's number.")},
    )
    body = forms.CharField(
        label=_("Message"),
        max_length=SEND_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": SEND_MAX_LENGTH}),
        error_messages={"required": _("Type a message first.")},
    )


class ReplyForm(StaffForm):
    """The chat view's composer; outside a closed WhatsApp window a template replaces the text."""

    body = forms.CharField(
        label=_("Reply"),
        max_length=SEND_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": SEND_MAX_LENGTH}),
    )
    template = forms.ChoiceField(label=_("Template"), required=False, choices=[])
    content_sid = forms.RegexField(
        label=_("Or another template's content SID"),
        regex=CONTENT_SID_PATTERN,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "HX…", "autocomplete": "off"}),
        error_messages={"invalid": _("A content SID is HX followed by 32 hexadecimal characters.")},
    )
    content_variables = forms.CharField(
        label=_("Template variables (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": '{"1": "Anna"}'}),
    )

    def __init__(self, *args, templates: list[tuple[str, str]] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [("", _("No template")), *(templates or [])]

    def clean_content_variables(self) -> dict | None:
        raw = self.cleaned_data["content_variables"].strip()
        if not raw:
            return None
        try:
            value = json_loads(raw)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise forms.ValidationError(_('Template variables must be a JSON object, e.g. {"1": "Anna"}.'))
        return {str(key): str(item) for key, item in value.items()}

    def clean(self) -> dict:
        data = super().clean()
        data["content_sid"] = data.get("content_sid") or data.get("template") or ""
        if not self.errors and not (data.get("body") or "").strip() and not data["content_sid"]:
            raise forms.ValidationError(_("Type a reply or choose a template."))
        return data


class AutoReplyForm(StaffForm):
    enabled = forms.BooleanField(label=_("Enable automatic replies to new messages"), required=False)
    message = forms.CharField(
        label=_("Reply text"),
        max_length=AUTO_REPLY_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": AUTO_REPLY_MAX_LENGTH}),
        help_text=_("At most 640 characters; required when automatic replies are on."),
    )


class AIConfigForm(StaffForm):
    enabled = forms.BooleanField(label=_("AI auto-reply to SMS and WhatsApp from this number"), required=False)
    target_number = forms.CharField(
        label=_("Conversation partner's number"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "placeholder": "+48123456789", "autocomplete": "off"}),
    )
    system_prompt = forms.CharField(label=_("System prompt"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    model = forms.CharField(label=_("Model"), max_length=100, required=False)
    temperature = forms.FloatField(
        label=_("Temperature"),
        min_value=0,
        max_value=2,
        widget=forms.NumberInput(attrs={"step": "0.1", "min": "0", "max": "2"}),
        error_messages={"invalid": _("Temperature must be a number.")},
    )
    api_key = forms.CharField(
        label=_("API key"),
        required=False,
        strip=True,
        # Never filled back: a saved key stays on the server and shows only as its masked preview.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the saved key."),
    )
    clear_api_key = forms.BooleanField(label=_("Remove the saved key"), required=False)

    def __init__(self, *args, server_model: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # An empty field means the environment's model: the page names it rather than an example.
        if server_model:
            self.fields["model"].widget.attrs["placeholder"] = server_model
            self.fields["model"].help_text = _("Empty: the server’s model, %(model)s (LITELLM_MODEL).") % {
                "model": server_model
            }


class AITestForm(StaffForm):
    message = forms.CharField(
        label=_("Test message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Empty: the last message of the conversation (or a default test prompt)."),
    )
    participant = forms.CharField(
        label=_("Number to test with"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "placeholder": "+48123456789", "autocomplete": "off"}),
        help_text=_("Empty: the configured conversation partner."),
    )
    api_key = forms.CharField(
        label=_("API key for this test"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Empty: the saved key. A key typed here is not saved."),
    )


class StaffAnswerForm(StaffForm):
    content = forms.CharField(
        label=_("Answer"),
        max_length=SEND_MAX_LENGTH * 10,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Type an answer first.")},
    )


class SimulatorForm(StaffForm):
    """The phone simulator: a message as a contact would send it (issue 28 point 2)."""

    number = forms.CharField(
        label=_("Write as"),
        max_length=64,
        widget=forms.TextInput(attrs={"type": "tel", "placeholder": "+48123456789", "autocomplete": "off"}),
        help_text=_("Any E.164 number: a stranger's, or a user's verified phone."),
        error_messages={"required": _("Enter the number to write from.")},
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=[("sms", "SMS"), ("whatsapp", "WhatsApp")], initial="sms")
    body = forms.CharField(
        label=_("Message"),
        max_length=1600,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 1600}),
        error_messages={"required": _("Type a message first.")},
    )
    send_for_real = forms.BooleanField(label=_("Really send the replies to this number"), required=False)
