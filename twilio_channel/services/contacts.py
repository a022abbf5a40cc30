"""Contacts: one per number and channel, linked to the user with that phone number,
with the opt-out state every send path checks."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.selectors import user_get_by_verified_phone
from core.db import later_of, update_returning
from core.redact import mask_phone
from twilio_channel.models import Contact

logger = logging.getLogger("twilio_webhook")

PROFILE_NAME_MAX_LENGTH = Contact._meta.get_field("profile_name").max_length or 255


def contact_for(*, number: str, channel: str) -> Contact:
    """The contact of a normalised number on a channel, created (and linked to the active user
    whose phone is exactly that number) on first use."""
    contact = Contact.objects.filter(number=number, channel=channel).first()
    if contact is not None:
        return contact
    user = user_get_by_verified_phone(number=number)
    try:
        with transaction.atomic():
            return Contact.objects.create(number=number, channel=channel, user=user)
    except IntegrityError:  # created meanwhile by a concurrent delivery
        return Contact.objects.get(number=number, channel=channel)


def _inbound_update(*, number: str, channel: str, at: datetime, profile_name: str) -> Contact | None:
    """The webhook reads and touches its contact in one statement (the ORM's update() returns a
    count, so a read would take a second one). None when there is no contact."""
    values: dict[str, object] = {
        # Never backwards: a message imported later (the Twilio sync) must not move the WhatsApp window.
        "last_inbound_at": later_of("last_inbound_at", at),
        "updated_at": timezone.now(),
    }
    if profile_name:
        values["profile_name"] = profile_name[:PROFILE_NAME_MAX_LENGTH]
    return update_returning(Contact.objects.filter(number=number, channel=channel), **values)


def contact_user(contact: Contact) -> User | None:
    """The user a contact speaks for: linked, active, and still the verified owner of the number
    (a link made before verification existed, or left by a change, never counts)."""
    user = contact.user
    if user is None or not user.is_active or not user.phone_verified or user.phone_number != contact.number:
        return None
    return user


def contacts_relink(*, user: User) -> int:
    """After the user's verified number changed: contacts of other numbers let go of the user, and
    the contacts of the verified number (on every channel) link to them. The number of rows changed."""
    number = user.phone_number if user.phone_verified and user.is_active else None
    now = timezone.now()
    released = Contact.objects.filter(user=user).exclude(number=number or "").update(user=None, updated_at=now)
    linked = 0
    if number is not None:
        linked = Contact.objects.filter(number=number).exclude(user=user).update(user=user, updated_at=now)
    if released or linked:
        logger.info("Contacts of user %s re-linked: %s released, %s linked", user.pk, released, linked)
    return released + linked


def contacts_relink_on_signal(sender: object, *, user: User, **kwargs: object) -> None:
    contacts_relink(user=user)


def contact_inbound_touch(*, number: str, channel: str, at: datetime, profile_name: str = "") -> Contact:
    """The contact an inbound message comes from, its last inbound time moved to `at` (never back)
    and its profile name set when Twilio sent one; created and linked as by `contact_for` on first
    use. Call it inside the delivery's transaction: the contact's row stays locked until it ends."""
    contact = _inbound_update(number=number, channel=channel, at=at, profile_name=profile_name)
    if contact is not None:
        return contact
    user = user_get_by_verified_phone(number=number)
    try:
        with transaction.atomic():
            return Contact.objects.create(
                number=number,
                channel=channel,
                user=user,
                last_inbound_at=at,
                profile_name=profile_name[:PROFILE_NAME_MAX_LENGTH],
            )
    except IntegrityError:  # created meanwhile by a concurrent delivery
        contact = _inbound_update(number=number, channel=channel, at=at, profile_name=profile_name)
        return contact if contact is not None else Contact.objects.get(number=number, channel=channel)


_OPT_FIELDS = ("opted_out", "opted_out_at", "opt_out_source")


def _opt_state_set(contact: Contact, *, opted_out: bool, **values: object) -> bool:
    """Compare-and-set of the contact's opt-out state (True when this call changed it); either way
    `contact` then holds the stored state, which a concurrent change may have set."""
    rows = Contact.objects.filter(pk=contact.pk, opted_out=not opted_out)
    stored = update_returning(rows, opted_out=opted_out, **values)
    if stored is None:
        contact.refresh_from_db(fields=_OPT_FIELDS)
        return False
    for name in _OPT_FIELDS:
        setattr(contact, name, getattr(stored, name))
    return True


def contact_opt_out(*, contact: Contact, source: str) -> bool:
    """True when the contact was opted in until now."""
    changed = _opt_state_set(
        contact, opted_out=True, opted_out_at=timezone.now(), opt_out_source=source, updated_at=timezone.now()
    )
    if changed:
        logger.info("Contact %s opted out (%s)", mask_phone(contact.number), source)
    return bool(changed)


def contact_opt_in(*, contact: Contact) -> bool:
    changed = _opt_state_set(contact, opted_out=False, opted_out_at=None, opt_out_source="", updated_at=timezone.now())
    if changed:
        logger.info("Contact %s opted back in", mask_phone(contact.number))
    return bool(changed)
