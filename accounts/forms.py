"""Forms of the session login (the browsable API; the web panel later)."""

from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.login_guard import login_retry_after
from core.net import client_ip

THROTTLED = _("Too many failed login attempts. Try again later.")


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's login form under the login throttle of `POST /auth/login` and the admin (CONTRACT
    §8.7): the failures it records (accounts.backends.ThrottledModelBackend) count against the same
    limits, and a refused attempt says why instead of "wrong password"."""

    retry_after: int | None = None

    def clean(self):
        username = self.cleaned_data.get("username")
        if username is not None and self.cleaned_data.get("password") and self.request is not None:
            self.retry_after = login_retry_after(username=username, ip=client_ip(self.request))
            if self.retry_after is not None:
                raise ValidationError(THROTTLED, code="throttled")
        return super().clean()
