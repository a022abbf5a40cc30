"""The Django admin is the superuser console: agents (staff without superuser) work in the staff
panel, and the admin refuses them as it refuses users (README "Roles")."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.http import HttpRequest


class SuperuserAdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_superuser)


class AdminConfig(DjangoAdminConfig):
    default_site = "core.admin_site.SuperuserAdminSite"
