from django.urls import path

from twilio_channel import views

urlpatterns = [
    path("twilio/status", views.status_callback, name="twilio-status"),
]
