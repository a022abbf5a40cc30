"""Who may call the staff API: the rules live in `accounts.staff_access` (the knowledge API, an app
below this one, uses them too); the names stay importable from here."""

from accounts.staff_access import (
    AUTHENTICATION_REQUIRED,
    STAFF_AUTHENTICATION,
    STAFF_PERMISSIONS,
    SUPERUSER_PERMISSIONS,
    ApiKeyAuthentication,
    ApiKeyCaller,
    StaffCaller,
    SuperuserCaller,
)

__all__ = [
    "AUTHENTICATION_REQUIRED",
    "STAFF_AUTHENTICATION",
    "STAFF_PERMISSIONS",
    "SUPERUSER_PERMISSIONS",
    "ApiKeyAuthentication",
    "ApiKeyCaller",
    "StaffCaller",
    "SuperuserCaller",
]
