from django.contrib.auth import views as auth_views
from django.urls import path

from accounts.views import SessionLoginView, register

urlpatterns = [
    path("login/", SessionLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("register/", register, name="register"),
]
