"""Linking a Telegram chat to a user account with a one-time code: issued on the profile page,
redeemed by `/start <code>` (the deep link), within TELEGRAM_LINK_CODE_TTL_S, once."""

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from inbox.models import Contact
from inbox.services.contacts import unlink_contact
from telegram_channel.channel import TELEGRAM
from telegram_channel.client import telegram_client
from telegram_channel.models import LinkCode

logger = logging.getLogger("messages")


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def link_code_issue(*, user: User) -> tuple[str, datetime]:
    """A new code for `user` and when it expires; the user's earlier unused codes stop working."""
    code = secrets.token_urlsafe(16)  # 22 characters of [A-Za-z0-9_-], as a deep link's start takes
    expires_at = timezone.now() + timedelta(seconds=settings.TELEGRAM_LINK_CODE_TTL_S)
    with transaction.atomic():
        LinkCode.objects.filter(user=user, used_at__isnull=True).delete()
        LinkCode.objects.create(user=user, code_hash=_hash(code), expires_at=expires_at)
    logger.info("Telegram link code issued to user %s", user.pk)
    return code, expires_at


def link_code_redeem(*, code: str) -> User | None:
    """The user the code was issued to, once: None for an unknown, used or expired code. The
    compare-and-set claim lets only one of two concurrent redemptions win."""
    now = timezone.now()
    row = LinkCode.objects.filter(code_hash=_hash(code)).select_related("user").first()
    if row is None:
        return None
    claimed = LinkCode.objects.filter(pk=row.pk, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
    if not claimed or not row.user.is_active:
        logger.info("Telegram link code of user %s refused (used, expired or inactive)", row.user_id)
        return None
    return row.user


def chats_unlink(*, user: User) -> None:
    """The profile's "Disconnect Telegram": the user's chats speak for nobody from now on."""
    for address in Contact.objects.filter(channel=TELEGRAM.name, user=user).values_list("address", flat=True):
        unlink_contact(channel=TELEGRAM.name, address=address)
    logger.info("Telegram chats of user %s unlinked", user.pk)


def bot_username() -> str:
    """TELEGRAM_BOT_USERNAME, else the bot's own (getMe), cached a day. Raises TelegramError."""
    if settings.TELEGRAM_BOT_USERNAME:
        return settings.TELEGRAM_BOT_USERNAME
    username = cache.get("telegram:bot-username")
    if not username:
        username = telegram_client().call("getMe")["username"]
        cache.set("telegram:bot-username", username, 24 * 60 * 60)
    return username
