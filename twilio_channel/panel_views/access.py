"""Who may open the staff panel's pages: staff, and superusers for the configuration forms."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def staff_required(view):
    """Anonymous visitors go to the login page; a signed-in user who is not staff gets a 403. A POST
    that is not a form (JSON, say) is a 400: Django would read it as an empty form, and an absent
    checkbox means "off" (issue 23: a malformed request must never switch something off)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise PermissionDenied
        if request.method == "POST" and request.content_type not in FORM_CONTENT_TYPES:
            return HttpResponse(_("This page takes form submissions only."), status=400, content_type="text/plain")
        return view(request, *args, **kwargs)

    return wrapper


def superuser_required(view):
    """The configuration forms: like staff_required, and an agent (staff, not superuser) gets a 403."""

    @wraps(view)
    @staff_required
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_superuser:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
