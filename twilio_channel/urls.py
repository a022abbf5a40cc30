from django.urls import path

from twilio_channel import views

urlpatterns = [
    path("twilio/inbound", views.inbound, name="twilio-inbound"),
    path("twilio/status", views.status_callback, name="twilio-status"),
    path("twilio_webhook", views.twilio_webhook, name="twilio-webhook"),
]
