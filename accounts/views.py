"""The session login and logout pages (`/accounts/login/`, `/accounts/logout/`): Django's auth views
with the shared login throttle. A browser signed in here uses the browsable API (and the admin, when
staff) with its session cookie; unsafe requests then need the CSRF token."""

from django.contrib.auth import views as auth_views

from accounts.forms import ThrottledAuthenticationForm


class SessionLoginView(auth_views.LoginView):
    authentication_form = ThrottledAuthenticationForm
    template_name = "registration/login.html"

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.retry_after is not None:
            # As `POST /auth/login` answers: 429 with the seconds to wait.
            response.status_code = 429
            response["Retry-After"] = str(form.retry_after)
        return response
