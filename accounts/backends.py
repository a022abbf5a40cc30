"""Password logins outside the API (the admin console) count against the same login throttle as
`POST /auth/login`: otherwise /admin/login/ would be an unthrottled way to guess."""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from accounts.login_guard import login_failure_record, login_retry_after, login_success_record
from core.net import client_ip


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or username is None:  # not a password login over HTTP
            return super().authenticate(request, username=username, password=password, **kwargs)
        ip = client_ip(request)
        if login_retry_after(username=username, ip=ip) is not None:
            raise PermissionDenied  # ends authenticate(): no other backend gets to try
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            login_failure_record(username=username, ip=ip)
        else:
            login_success_record(username=username, ip=ip)
        return user
