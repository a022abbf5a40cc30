from accounts.api import views
from core.urls import slash_optional_path

urlpatterns = [
    *slash_optional_path("auth/register", views.RegisterView.as_view(), "auth-register"),
    *slash_optional_path("auth/login", views.LoginView.as_view(), "auth-login"),
    *slash_optional_path("auth/refresh", views.RefreshView.as_view(), "auth-refresh"),
    *slash_optional_path("auth/logout", views.LogoutView.as_view(), "auth-logout"),
    *slash_optional_path("auth/logout-all", views.LogoutAllView.as_view(), "auth-logout-all"),
    *slash_optional_path("auth/me", views.MeView.as_view(), "auth-me"),
    *slash_optional_path("auth/me/phone", views.MePhoneView.as_view(), "auth-me-phone"),
    *slash_optional_path("auth/me/phone/verify", views.MePhoneVerifyView.as_view(), "auth-me-phone-verify"),
    *slash_optional_path("auth/me/phone/verify/confirm", views.MePhoneConfirmView.as_view(), "auth-me-phone-confirm"),
    *slash_optional_path("auth/me/password", views.MePasswordView.as_view(), "auth-me-password"),
    *slash_optional_path("auth/users", views.UsersView.as_view(), "auth-users"),
    *slash_optional_path("auth/users/<int:user_id>", views.UserDetailView.as_view(), "auth-user"),
    *slash_optional_path("auth/users/<int:user_id>/disable", views.UserDisableView.as_view(), "auth-user-disable"),
    *slash_optional_path("auth/users/<int:user_id>/enable", views.UserEnableView.as_view(), "auth-user-enable"),
    *slash_optional_path(
        "auth/users/<int:user_id>/superuser", views.UserSuperuserView.as_view(), "auth-user-superuser"
    ),
    *slash_optional_path("auth/users/<int:user_id>/agent", views.UserAgentView.as_view(), "auth-user-agent"),
    *slash_optional_path("auth/users/<int:user_id>/roles", views.UserRolesView.as_view(), "auth-user-roles"),
    *slash_optional_path("auth/sessions", views.SessionsView.as_view(), "auth-sessions"),
    *slash_optional_path("auth/sessions/<int:session_id>", views.SessionDetailView.as_view(), "auth-session"),
    *slash_optional_path("auth/roles", views.RolesView.as_view(), "auth-roles"),
    *slash_optional_path("auth/roles/<int:role_id>", views.RoleDetailView.as_view(), "auth-role"),
]
