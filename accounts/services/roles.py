"""Writes for roles and their assignment to users."""

from django.db import IntegrityError, transaction

from accounts import selectors
from accounts.models import Role, UserRole
from core.exceptions import ApplicationError, NotFoundError


def role_create(*, name: str, description: str | None = None) -> Role:
    if Role.objects.filter(name=name).exists():
        raise ApplicationError("Role already exists")
    try:
        with transaction.atomic():
            return Role.objects.create(name=name, description=description)
    except IntegrityError as exc:
        raise ApplicationError("Role already exists") from exc


@transaction.atomic
def role_delete(*, role_id: int) -> None:
    deleted, _ = Role.objects.filter(pk=role_id).delete()
    if not deleted:
        raise NotFoundError("Role not found")


@transaction.atomic
def user_roles_replace(*, user_id: int, role_ids: list[int]) -> None:
    """Replace the user's roles; unknown role ids are ignored (A22)."""
    user = selectors.user_get(user_id=user_id)
    wanted = set(Role.objects.filter(pk__in=role_ids).values_list("pk", flat=True))
    UserRole.objects.filter(user=user).exclude(role_id__in=wanted).delete()
    existing = set(UserRole.objects.filter(user=user).values_list("role_id", flat=True))
    UserRole.objects.bulk_create([UserRole(user=user, role_id=role_id) for role_id in wanted - existing])
