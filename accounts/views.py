"""The session login and logout pages (`/accounts/login/`, `/accounts/logout/`): Django's auth views
with the shared login throttle. A browser signed in here uses the browsable API (and the admin, when
staff) with its session cookie; unsafe requests then need the CSRF token.

Also the panel's account pages: registration, and the profile (`/app/profile/`) with the password
change and the signed-in devices. They call the services the API calls."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors
from accounts.forms import (
    PasswordChangeForm,
    PhoneConfirmForm,
    PhoneVerifySendForm,
    ProfileForm,
    RegisterForm,
    ThrottledAuthenticationForm,
)
from accounts.services import phones, sessions, users
from core.api.errors import status_code_for
from core.exceptions import ApplicationError, TooManyRequestsError
from core.net import client_ip
from core.panel import add_validation_errors, error_text


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


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("/")
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = users.user_sign_up(
                ip_address=client_ip(request),
                username=data["username"],
                email=data["email"],
                password=data["password"],
                full_name=data["full_name"] or None,
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        except TooManyRequestsError as exc:
            # As `POST /auth/register` answers: 429 with the seconds to wait.
            form.add_error(None, error_text(exc))
            response = render(request, "registration/register.html", {"form": form}, status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        except ApplicationError as exc:
            form.add_error(None, error_text(exc))
        else:
            login(request, user, backend="accounts.backends.ThrottledModelBackend")
            messages.success(request, _("Welcome! Your account is ready."))
            return redirect("/")
    return render(request, "registration/register.html", {"form": form})


def _profile_page(
    request: HttpRequest, *, profile_form=None, password_form=None, confirm_form=None, status: int = 200
) -> HttpResponse:
    user = request.user
    context = {
        "phone_send_form": PhoneVerifySendForm(channels=settings.PHONE_VERIFICATION_CHANNELS),
        "phone_confirm_form": confirm_form or PhoneConfirmForm(),
        "profile_form": profile_form
        or ProfileForm(initial={"full_name": user.full_name, "bio": user.bio, "phone_number": user.phone_number}),
        "password_form": password_form or PasswordChangeForm(),
        "sessions": selectors.session_list_live(user=user),
        "profile_sections": settings.PROFILE_SECTIONS,  # the channel apps' sections (Telegram's link)
    }
    return render(request, "accounts/profile.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _profile_page(request)
    form = ProfileForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            # "" clears a text field, as the API's explicit "" does; the phone arrives as E.164 or None.
            users.user_profile_update(
                user=request.user, full_name=data["full_name"], bio=data["bio"], phone_number=data["phone_number"] or ""
            )
        except ApplicationError as exc:
            form.add_error("phone_number", error_text(exc))
        else:
            messages.success(request, _("Your profile was saved."))
            return redirect("panel:profile")
    return _profile_page(request, profile_form=form, status=400)


def _translated(exc: ValidationError) -> list[str]:
    """A service's ValidationError in the page's language, its params filled in after translating."""
    errors = [error for errors in exc.error_dict.values() for error in errors] if hasattr(exc, "error_dict") else []
    return [_(e.message) % e.params if e.params else _(e.message) for e in errors] or [_(m) for m in exc.messages]


@login_required
@require_POST
def phone_verify(request: HttpRequest) -> HttpResponse:
    """Send a code to the profile's number (issue 22)."""
    form = PhoneVerifySendForm(request.POST, channels=settings.PHONE_VERIFICATION_CHANNELS)
    channel = form.cleaned_data["channel"] if form.is_valid() else "sms"
    try:
        sent = phones.phone_verification_send(user=request.user, channel=channel)
    except ValidationError as exc:
        for text in _translated(exc):
            messages.error(request, text)
        return _profile_page(request, status=400)
    except ApplicationError as exc:
        messages.error(request, error_text(exc))
        response = _profile_page(request, status=status_code_for(exc))
        if isinstance(exc, TooManyRequestsError):
            response["Retry-After"] = str(exc.retry_after)
        return response
    minutes = max(1, settings.PHONE_VERIFICATION_CODE_TTL_S // 60)
    messages.success(
        request,
        _("A code was sent to %(number)s. It expires in %(minutes)s minutes.")
        % {"number": sent.number, "minutes": minutes},
    )
    return redirect("panel:profile")


@login_required
@require_POST
def phone_confirm(request: HttpRequest) -> HttpResponse:
    form = PhoneConfirmForm(request.POST)
    if form.is_valid():
        try:
            phones.phone_verification_confirm(user=request.user, code=form.cleaned_data["code"])
        except ValidationError as exc:
            for text in _translated(exc):
                form.add_error("code", text)
        except ApplicationError as exc:
            form.add_error("code", error_text(exc))
        else:
            messages.success(request, _("Your phone number is verified."))
            return redirect("panel:profile")
    return _profile_page(request, confirm_form=form, status=400)


@login_required
@require_POST
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST)
    if form.is_valid():
        try:
            users.user_password_change(
                user=request.user,
                current_session=None,  # a browser session is no API session: every API session ends
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        except ApplicationError as exc:
            form.add_error("current_password", error_text(exc))
        else:
            # This browser stays signed in; every other browser session fails its auth hash now.
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password was changed. Your other sessions were ended."))
            return redirect("panel:profile")
    return _profile_page(request, password_form=form, status=400)


@login_required
@require_POST
def session_revoke(request: HttpRequest, session_id: int) -> HttpResponse:
    try:
        sessions.session_delete(user=request.user, session_id=session_id)
    except ApplicationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The session was ended."))
    return HttpResponseRedirect(reverse("panel:profile"))
