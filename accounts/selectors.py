"""Reads for accounts: users, sessions, roles."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Role, User, UserSession
from core.exceptions import NotFoundError


def user_list() -> QuerySet[User]:
    return User.objects.order_by("id")


def user_get(*, user_id: int) -> User:
    """The user, or NotFoundError (the superuser endpoints answer 404 "User not found")."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFoundError("User not found")
    return user


def user_get_by_username(*, username: str) -> User | None:
    return User.objects.filter(username=username).first()


def user_get_by_verified_phone(*, number: str) -> User | None:
    """The active user a phone number links to: only a number its owner proved (issue 22)."""
    if not number.startswith("+"):
        return None
    return User.objects.filter(phone_number=number, phone_verified_at__isnull=False, is_active=True).first()


def session_get(*, session_id: int, user_id: int) -> UserSession | None:
    """The session (any state) if it belongs to the user, with its user loaded."""
    return UserSession.objects.select_related("user").filter(pk=session_id, user_id=user_id).first()


def session_list_live(*, user: User) -> QuerySet[UserSession]:
    return UserSession.objects.filter(user=user, is_active=True, expires_at__gt=timezone.now()).order_by("-created_at")


def role_list() -> QuerySet[Role]:
    return Role.objects.order_by("id")


def role_list_for_user(*, user: User) -> QuerySet[Role]:
    return Role.objects.filter(user_roles__user=user).order_by("id")


def user_search(*, query: str, exclude_id: int | None = None, limit: int = 20) -> QuerySet[User]:
    """Active users whose username or full name contains `query` (the panel's recipient picker),
    by username; a blank query finds nobody rather than listing every user."""
    query = query.strip()
    if not query:
        return User.objects.none()
    users = User.objects.filter(is_active=True).filter(Q(username__icontains=query) | Q(full_name__icontains=query))
    if exclude_id is not None:
        users = users.exclude(pk=exclude_id)
    return users.order_by("username")[:limit]
