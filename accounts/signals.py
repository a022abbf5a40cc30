"""Signals accounts sends to the apps above it (which it must not import)."""

from django.dispatch import Signal

# Sent with `user` after the number that links to the user changed: a number verified, or the
# verified number changed, cleared or unverified. The Twilio channel re-links its contacts.
phone_link_changed = Signal()
