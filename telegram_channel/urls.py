from django.urls import path

from telegram_channel import views

urlpatterns = [
    path("telegram/webhook", views.webhook, name="telegram-webhook"),
    path("app/telegram/connect/", views.connect, name="telegram-connect"),
    path("app/telegram/disconnect/", views.disconnect, name="telegram-disconnect"),
]
