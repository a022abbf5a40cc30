"""Contacts: one per address and channel, with the opt-out state every send path checks. A contact
of a phone channel (SMS, WhatsApp) speaks for the user whose verified number it is; a contact of
another channel for the user it was linked to (`link_contact`, e.g. by a one-time code)."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, router, transaction
from django.utils import timezone

from accounts.models import User
from accounts.selectors import user_get_by_verified_phone
from core.db import later_of, model_from_row, row_returned, update_returning, update_returning_sql
from core.redact import mask_phone
from core.statements import Compiled
from inbox.channels import UnknownChannel, get_channel
from inbox.models import Contact

logger = logging.getLogger("twilio_webhook")  # the contract's log of the external channels

DISPLAY_NAME_MAX_LENGTH = Contact._meta.get_field("display_name").max_length or 255


def _phone_channel(channel: str) -> bool:
    try:
        return get_channel(channel).phone_addresses
    except UnknownChannel:
        return False


def _owner(*, channel: str, address: str) -> User | None:
    """The user a new contact links to: the verified owner of the number on a phone channel."""
    return user_get_by_verified_phone(number=address) if _phone_channel(channel) else None


def _masked(contact: Contact) -> str:
    return mask_phone(contact.address) if _phone_channel(contact.channel) else f"{contact.channel} contact {contact.pk}"


def _contact_sql(using: str, shape: object, *, address: str, channel: str):
    rows = Contact.objects.using(using).filter(address=address, channel=channel).order_by("pk")[:1]
    return rows.query.get_compiler(using).as_sql()


_CONTACT = Compiled(
    _contact_sql, address=Contact._meta.get_field("address"), channel=Contact._meta.get_field("channel")
)


def _contact_get(*, address: str, channel: str) -> Contact | None:
    """One SELECT compiled once (core.statements): every send path reads the contact's opt-out."""
    using = router.db_for_read(Contact)
    row = _CONTACT.row(using=using, address=address, channel=channel)
    return None if row is None else model_from_row(Contact, row, using=using)


def contact_for(*, channel: str, address: str | None = None, number: str | None = None) -> Contact:
    """The contact of an address (a normalised number for SMS/WhatsApp) on a channel, created on
    first use (and linked to the active user whose verified phone is exactly that number).
    `number` is the Twilio channel's name for `address`."""
    address = address if address is not None else number or ""
    contact = _contact_get(address=address, channel=channel)
    if contact is not None:
        return contact
    user = _owner(channel=channel, address=address)
    try:
        with transaction.atomic():
            return Contact.objects.create(address=address, channel=channel, user=user)
    except IntegrityError:  # created meanwhile by a concurrent delivery
        return Contact.objects.get(address=address, channel=channel)


def _site_language(code: str) -> str:
    """ "pl-PL" -> "pl" when the site speaks it, else "" (the default)."""
    code = code.split("-")[0].lower()
    return code if code in {name for name, _label in settings.LANGUAGES} else ""


def _inbound_touch_sql(
    using: str, shape: object, *, address: str, channel: str, at: datetime, now: datetime, **optional: str
):
    values: dict[str, object] = {
        # Never backwards: a message imported later (the Twilio sync) must not move the WhatsApp window.
        "last_inbound_at": later_of("last_inbound_at", at),
        "updated_at": now,
        **optional,  # display_name, language
    }
    return update_returning_sql(Contact.objects.using(using).filter(address=address, channel=channel), **values)


_INBOUND_TOUCH = Compiled(
    _inbound_touch_sql,
    **{name: Contact._meta.get_field(name) for name in ("address", "channel", "display_name", "language")},
    at=Contact._meta.get_field("last_inbound_at"),
    now=Contact._meta.get_field("updated_at"),
)


def _inbound_update(*, address: str, channel: str, at: datetime, display_name: str, language: str) -> Contact | None:
    """The webhook reads and touches its contact in one statement (the ORM's update() returns a
    count, so a read would take a second one), compiled once (core.statements). None when there
    is no contact."""
    optional: dict[str, str] = {}
    if display_name:
        optional["display_name"] = display_name[:DISPLAY_NAME_MAX_LENGTH]
    if language:
        optional["language"] = _site_language(language)
    using = router.db_for_write(Contact)
    sql, params = _INBOUND_TOUCH.sql(
        using=using, address=address, channel=channel, at=at, now=timezone.now(), **optional
    )
    return row_returned(Contact, sql, params, using=using)


def contact_user(contact: Contact) -> User | None:
    """The user a contact speaks for: linked and active; on a phone channel also still the
    verified owner of the number (a link made before verification existed, or left by a change,
    never counts)."""
    user = contact.user
    if user is None or not user.is_active:
        return None
    if _phone_channel(contact.channel) and (not user.phone_verified or user.phone_number != contact.address):
        return None
    return user


def link_contact(*, channel: str, address: str, user: User) -> Contact:
    """Link a contact of a non-phone channel (a Telegram chat) to a user account: from now on its
    messages are that user's (their AI thread, tools acting for them). Phone channels link by the
    verified number only (contacts_relink)."""
    contact = contact_for(channel=channel, address=address)
    Contact.objects.filter(pk=contact.pk).update(user=user, updated_at=timezone.now())
    contact.user = user
    logger.info("%s linked to user %s", _masked(contact), user.pk)
    return contact


def unlink_contact(*, channel: str, address: str) -> None:
    Contact.objects.filter(channel=channel, address=address).update(user=None, updated_at=timezone.now())


def contacts_relink(*, user: User) -> int:
    """After the user's verified number changed: contacts of other numbers let go of the user, and
    the contacts of the verified number (on every phone channel) link to them. The number of rows
    changed. Contacts of other channels keep their links."""
    phone_channels = [name for name in _phone_channel_names()]
    number = user.phone_number if user.phone_verified and user.is_active else None
    now = timezone.now()
    mine = Contact.objects.filter(user=user, channel__in=phone_channels)
    released = mine.exclude(address=number or "").update(user=None, updated_at=now)
    linked = 0
    if number is not None:
        theirs = Contact.objects.filter(address=number, channel__in=phone_channels).exclude(user=user)
        linked = theirs.update(user=user, updated_at=now)
    if released or linked:
        logger.info("Contacts of user %s re-linked: %s released, %s linked", user.pk, released, linked)
    return released + linked


def _phone_channel_names() -> list[str]:
    from inbox.channels import channel_names

    return [name for name in channel_names() if _phone_channel(name)]


def contacts_relink_on_signal(sender: object, *, user: User, **kwargs: object) -> None:
    contacts_relink(user=user)


def contact_inbound_touch(
    *,
    channel: str,
    at: datetime,
    address: str | None = None,
    number: str | None = None,
    display_name: str = "",
    profile_name: str = "",
    language: str = "",
) -> Contact:
    """The contact an inbound message comes from, its last inbound time moved to `at` (never back)
        and its display name set when the channel sent one; created and linked as by `contact_for` on
        first use. Call it inside the delivery's transaction: the contact's row stays locked until it
        ends. `language`: the one the contact's app uses, when the channel says; kept when the site
    speaks it. (`number`, `profile_name`: the Twilio channel's names.)"""
    address = address if address is not None else number or ""
    display_name = display_name or profile_name
    contact = _inbound_update(address=address, channel=channel, at=at, display_name=display_name, language=language)
    if contact is not None:
        return contact
    user = _owner(channel=channel, address=address)
    try:
        with transaction.atomic():
            return Contact.objects.create(
                address=address,
                channel=channel,
                user=user,
                last_inbound_at=at,
                display_name=display_name[:DISPLAY_NAME_MAX_LENGTH],
                language=_site_language(language),
            )
    except IntegrityError:  # created meanwhile by a concurrent delivery
        contact = _inbound_update(address=address, channel=channel, at=at, display_name=display_name, language=language)
        return contact if contact is not None else Contact.objects.get(address=address, channel=channel)


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
        logger.info("%s opted out (%s)", _masked(contact), source)
    return bool(changed)


def contact_opt_in(*, contact: Contact) -> bool:
    changed = _opt_state_set(contact, opted_out=False, opted_out_at=None, opt_out_source="", updated_at=timezone.now())
    if changed:
        logger.info("%s opted back in", _masked(contact))
    return bool(changed)
