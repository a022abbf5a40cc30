from django.apps import AppConfig


class TelegramChannelConfig(AppConfig):
    name = "telegram_channel"
    verbose_name = "Telegram channel"
