from accounts.api import views
from core.urls import seed_path

urlpatterns = [
    *seed_path("auth/register", views.RegisterView.as_view(), "auth-register"),
    *seed_path("auth/login", views.LoginView.as_view(), "auth-login"),
    *seed_path("auth/refresh", views.RefreshView.as_view(), "auth-refresh"),
    *seed_path("auth/logout", views.LogoutView.as_view(), "auth-logout"),
    *seed_path("auth/logout-all", views.LogoutAllView.as_view(), "auth-logout-all"),
    *seed_path("auth/me", views.MeView.as_view(), "auth-me"),
    *seed_path("auth/me/phone", views.MePhoneView.as_view(), "auth-me-phone"),
    *seed_path("auth/me/phone/verify", views.MePhoneVerifyView.as_view(), "auth-me-phone-verify"),
    *seed_path("auth/me/phone/verify/confirm", views.MePhoneConfirmView.as_view(), "auth-me-phone-confirm"),
    *seed_path("auth/me/password", views.MePasswordView.as_view(), "auth-me-password"),
    *seed_path("auth/users", views.UsersView.as_view(), "auth-users"),
    *seed_path("auth/users/<int:user_id>", views.UserDetailView.as_view(), "auth-user"),
    *seed_path("auth/users/<int:user_id>/disable", views.UserDisableView.as_view(), "auth-user-disable"),
    *seed_path("auth/users/<int:user_id>/enable", views.UserEnableView.as_view(), "auth-user-enable"),
    *seed_path("auth/users/<int:user_id>/superuser", views.UserSuperuserView.as_view(), "auth-user-superuser"),
    *seed_path("auth/users/<int:user_id>/agent", views.UserAgentView.as_view(), "auth-user-agent"),
    *seed_path("auth/users/<int:user_id>/roles", views.UserRolesView.as_view(), "auth-user-roles"),
    *seed_path("auth/sessions", views.SessionsView.as_view(), "auth-sessions"),
    *seed_path("auth/sessions/<int:session_id>", views.SessionDetailView.as_view(), "auth-session"),
    *seed_path("auth/roles", views.RolesView.as_view(), "auth-roles"),
    *seed_path("auth/roles/<int:role_id>", views.RoleDetailView.as_view(), "auth-role"),
]
