"""The panel's account pages, under `/app/`."""

from django.urls import path

from accounts import views

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/phone/verify/", views.phone_verify, name="phone-verify"),
    path("profile/phone/confirm/", views.phone_confirm, name="phone-confirm"),
    path("profile/password/", views.password_change, name="password-change"),
    path("profile/sessions/<int:session_id>/revoke/", views.session_revoke, name="session-revoke"),
]
