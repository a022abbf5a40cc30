from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Role, User, UserSession


def user_list() -> QuerySet[User]:
    return User.objects.order_by("id")


def session_list_live(*, user: User) -> QuerySet[UserSession]:
    return UserSession.objects.filter(user=user, is_active=True, expires_at__gt=timezone.now()).order_by("-created_at")


def role_list() -> QuerySet[Role]:
    return Role.objects.order_by("id")


def role_list_for_user(*, user: User) -> QuerySet[Role]:
    return Role.objects.filter(user_roles__user=user).order_by("id")
