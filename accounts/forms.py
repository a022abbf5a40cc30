"""Forms of the session login (the browsable API, the web panel) and of the panel's account pages."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from accounts.login_guard import login_retry_after
from core.net import client_ip
from core.panel import PanelForm
from core.phones import InvalidPhoneNumber, normalize_e164

THROTTLED = _("Too many failed login attempts. Try again later.")


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's login form under the login throttle of `POST /auth/login` and the admin:
    the failures it records (accounts.backends.ThrottledModelBackend) count against the same
    limits, and a refused attempt says why instead of "wrong password"."""

    retry_after: int | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Django names the field after the model field's verbose name, which is not translated.
        self.fields["username"].label = _("Username")

    def clean(self):
        username = self.cleaned_data.get("username")
        if username is not None and self.cleaned_data.get("password") and self.request is not None:
            self.retry_after = login_retry_after(username=username, ip=client_ip(self.request))
            if self.retry_after is not None:
                raise ValidationError(THROTTLED, code="throttled")
        return super().clean()


class RegisterForm(PanelForm):
    """Self-registration in the panel; the rules are the API's (the service checks them again)."""

    username = forms.CharField(label=_("Username"), max_length=100)
    email = forms.EmailField(label=_("Email"), max_length=255)
    full_name = forms.CharField(label=_("Full name"), max_length=255, required=False)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(render_value=False), strip=False)
    password_confirm = forms.CharField(
        label=_("Confirm password"), widget=forms.PasswordInput(render_value=False), strip=False
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password_confirm") and data["password"] != data["password_confirm"]:
            self.add_error("password_confirm", _("The two passwords do not match."))
        return data


class PhoneNumberFormField(forms.CharField):
    """Any common spelling in, E.164 out; blank means "no number"."""

    def to_python(self, value):
        value = super().to_python(value)
        try:
            return normalize_e164(value)
        except InvalidPhoneNumber as exc:
            raise ValidationError(gettext(str(exc)), code="invalid_phone") from exc


class ProfileForm(PanelForm):
    full_name = forms.CharField(label=_("Full name"), max_length=255, required=False)
    bio = forms.CharField(label=_("Bio"), max_length=10_000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    phone_number = PhoneNumberFormField(
        label=_("Phone number"),
        max_length=20,
        required=False,
        help_text=_("International format, e.g. +48123456789."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "placeholder": "+48123456789"}),
    )


class PhoneVerifySendForm(PanelForm):
    channel = forms.ChoiceField(label=_("Send the code by"), choices=[("sms", _("SMS")), ("whatsapp", _("WhatsApp"))])

    def __init__(self, *args, channels: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["channel"]
        field.choices = [(value, label) for value, label in field.choices if value in channels]


class PhoneConfirmForm(PanelForm):
    code = forms.RegexField(
        label=_("Code"),
        regex=r"^\s*\d{6}\s*$",
        max_length=20,
        error_messages={"invalid": _("Enter the 6-digit code.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "placeholder": "123456"}
        ),
    )


class PasswordChangeForm(PanelForm):
    current_password = forms.CharField(
        label=_("Current password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}), strip=False
    )
    new_password = forms.CharField(
        label=_("New password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), strip=False
    )


# The services' English texts that the panel shows, for the catalog (core.panel.error_text).
SERVICE_TEXTS = [
    gettext_noop("Too many sign-ups from this address. Try again later."),
    gettext_noop("Username already registered"),
    gettext_noop("Email already registered"),
    gettext_noop("Phone number already registered"),
    gettext_noop("Username or email already exists"),
    gettext_noop("Current password is incorrect"),
    gettext_noop("Session not found"),
    gettext_noop("Phone number must be in E.164 format, e.g. +48123456789"),
    gettext_noop("Phone number is not a possible number"),
    gettext_noop("Set a phone number first"),
    gettext_noop("This phone number is already verified"),
    gettext_noop("Too many codes sent to this phone number. Try again later."),
    gettext_noop("Too many codes requested. Try again later."),
    gettext_noop("No code is waiting for this phone number; request a new one."),
    gettext_noop("Wrong code; %(left)s attempt(s) left."),
    gettext_noop("The code has expired; request a new one."),
    gettext_noop("Too many wrong codes; request a new one."),
    gettext_noop("Codes cannot be sent over %(channel)s on this server."),
    gettext_noop("WhatsApp cannot deliver the code now; ask for it by SMS."),
    gettext_noop("Twilio is not configured."),
    gettext_noop("Twilio send failed"),
    gettext_noop("Recipient has opted out."),
    gettext_noop("Too many messages to this recipient. Try again later."),
]
