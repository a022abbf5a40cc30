from django.conf import settings
from django.db import models


class LinkCode(models.Model):
    """A one-time code that links a Telegram chat to a user account (the profile's "Connect
    Telegram", redeemed by `/start <code>`). Only its SHA-256 is stored: the code itself is a
    credential, shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Telegram link code of user {self.user_id}"
