"""Inbound Telegram updates: the webhook and the poller hand each one to `update_handle`, which
passes it to the inbox (dedup by update_id, contact, opt-out/opt-in/help words, the answer queued
on commit). `/start <code>` also links the chat to the account the code was issued to."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from inbox.inbound import InboundMessage
from inbox.services.contacts import link_contact
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


def update_handle(update: Update) -> Message:
    """Store one update's message and queue its answer; a repeated update_id stores and answers nothing."""
    command, code = update.command
    # The bare command ("/help@our_bot" is "/help"); the code of "/start <code>" is a credential:
    # it links the chat and is never stored nor shown to the AI.
    text = command if command in COMMANDS else update.text
    message, created = receive(
        InboundMessage(
            channel=TELEGRAM.name,
            external_id=str(update.update_id),
            address=update.chat_id,
            text=text,
            display_name=update.name,
            media=update.media,
        )
    )
    if created and command == "/start" and code:
        _link(message=message, update=update, code=code)
    return message


def _link(*, message: Message, update: Update, code: str) -> None:
    # Answered in the sender's own language when the site has it (Telegram says which it uses).
    languages = {code for code, _name in settings.LANGUAGES}
    language = update.language.split("-")[0] if update.language.split("-")[0] in languages else settings.LANGUAGE_CODE
    user = link_code_redeem(code=code)
    if user is not None:
        link_contact(channel=TELEGRAM.name, address=update.chat_id, user=user)
        logger.info("Telegram chat of message %s linked to user %s", message.pk, user.pk)
    with translation.override(language):
        text = gettext(LINKED) % {"username": user.username} if user is not None else gettext(LINK_REFUSED)
    reply_send(to_message=message, text=text)
