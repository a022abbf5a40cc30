"""Contacts (CONTRACT §8.4): one per number and channel, linked to the user with that phone number,
with the opt-out state every send path checks."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from core.redact import mask_phone
from twilio_channel.models import Contact

logger = logging.getLogger("twilio_webhook")


def contact_for(*, number: str, channel: str) -> Contact:
    """The contact of a normalised number on a channel, created (and linked to the active user
    whose phone is exactly that number) on first use."""
    contact = Contact.objects.filter(number=number, channel=channel).first()
    if contact is not None:
        return contact
    user = User.objects.filter(phone_number=number, is_active=True).first() if number.startswith("+") else None
    try:
        with transaction.atomic():
            return Contact.objects.create(number=number, channel=channel, user=user)
    except IntegrityError:  # created meanwhile by a concurrent delivery
        return Contact.objects.get(number=number, channel=channel)


def contact_opt_out(*, contact: Contact, source: str) -> bool:
    """True when the contact was opted in until now."""
    changed = Contact.objects.filter(pk=contact.pk, opted_out=False).update(
        opted_out=True, opted_out_at=timezone.now(), opt_out_source=source, updated_at=timezone.now()
    )
    contact.refresh_from_db(fields=["opted_out", "opted_out_at", "opt_out_source"])
    if changed:
        logger.info("Contact %s opted out (%s)", mask_phone(contact.number), source)
    return bool(changed)


def contact_opt_in(*, contact: Contact) -> bool:
    changed = Contact.objects.filter(pk=contact.pk, opted_out=True).update(
        opted_out=False, opted_out_at=None, opt_out_source="", updated_at=timezone.now()
    )
    contact.refresh_from_db(fields=["opted_out", "opted_out_at", "opt_out_source"])
    if changed:
        logger.info("Contact %s opted back in", mask_phone(contact.number))
    return bool(changed)
