"""Inbound Telegram updates: the webhook and the poller hand each one to `update_handle`, which
passes it to the inbox (dedup by update_id, contact, opt-out/opt-in/help words, the answer queued
on commit). `/start <code>` also links the chat to the account the code was issued to; the bot's
being blocked or unblocked (`my_chat_member`) opts the chat out or back in."""

import logging

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from inbox.enums import OptOutSource
from inbox.inbound import InboundMessage
from inbox.services.contacts import contact_for, contact_opt_in, contact_opt_out, link_contact
from inbox.services.receive import receive
from inbox.services.replies import reply_send
from messaging.models import Message
from telegram_channel.channel import TELEGRAM
from telegram_channel.linking import link_code_redeem
from telegram_channel.updates import Update

logger = logging.getLogger("messages")
COMMANDS = TELEGRAM.opt_out_words | TELEGRAM.opt_in_words | TELEGRAM.help_words

LINKED = gettext_noop("Done: this chat is now connected to your account %(username)s.")
LINK_REFUSED = gettext_noop(
    "This link has expired or was already used. Get a new one with Connect Telegram on your profile page."
)


def update_handle(update: Update) -> None:
    """Store one update's message and queue its answer; a repeated update_id stores and answers nothing."""
    if update.member_status:
        _member_changed(update)
        return
    command, code = update.command
    link = command == "/start" and bool(code)
    # The bare command ("/help@our_bot" is "/help"); the code of "/start <code>" is a credential:
    # it links the chat and is never stored nor shown to the AI.
    inbound = InboundMessage(
        channel=TELEGRAM.name,
        external_id=str(update.update_id),
        address=update.chat_id,
        text=command if command in COMMANDS else update.text,
        display_name=update.name,
        language=update.language,
        media=update.media,
    )
    # The link commits with the message or not at all, so a redelivery after a crash links the chat;
    # its only answer is the link's (no help text for this "/start").
    with transaction.atomic():
        message, created = receive(inbound, answer=not link)
        if created and link:
            _link(message=message, update=update, code=code)


def _link(*, message: Message, update: Update, code: str) -> None:
    contact = contact_for(channel=TELEGRAM.name, address=update.chat_id)
    contact_opt_in(contact=contact)  # a /start, as the bare word is
    user = link_code_redeem(code=code)
    if user is not None:
        link_contact(channel=TELEGRAM.name, address=update.chat_id, user=user)
        logger.info("Telegram chat of message %s linked to user %s", message.pk, user.pk)
    with translation.override(contact.language or translation.get_language()):
        text = gettext(LINKED) % {"username": user.username} if user is not None else gettext(LINK_REFUSED)
    reply_send(to_message=message, text=text)


def _member_changed(update: Update) -> None:
    """The user blocked the bot ("kicked"): opted out, so nothing is sent in vain; unblocked
    ("member"): back in, unless they had opted out themselves (/stop)."""
    contact = contact_for(channel=TELEGRAM.name, address=update.chat_id)
    if update.member_status == "kicked":
        contact_opt_out(contact=contact, source=OptOutSource.CHANNEL)
    elif update.member_status == "member" and contact.opt_out_source == OptOutSource.CHANNEL:
        contact_opt_in(contact=contact)
