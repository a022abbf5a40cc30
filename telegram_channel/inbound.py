"""Inbound Telegram updates: one function for the webhook and the poller."""

from __future__ import annotations

from telegram_channel.updates import Update


def update_handle(update: Update) -> None:
    raise NotImplementedError  # wired into the inbox once it lands
