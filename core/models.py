from django.db import models
from django.utils import timezone


class TimeStamped(models.Model):
    """`created_at` and `updated_at` for every model that keeps both."""

    # Settable on purpose: imports (e.g. Twilio sync) carry their own creation time.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
