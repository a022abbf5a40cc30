from django.db import models


class OptOutSource(models.TextChoices):
    KEYWORD = "keyword"  # the contact sent STOP (or another opt-out word of its channel)
    TWILIO = "twilio"  # Twilio refused a send with 21610
    CHANNEL = "channel"  # another channel refused a send as opted out (a blocked bot)
    STAFF = "staff"
