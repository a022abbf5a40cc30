"""Service-level rules that the HTTP tests cannot interleave."""

import pytest

from accounts import services
from accounts.models import User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_profile_update_does_not_undo_a_concurrent_disable_or_demotion():
    # The view holds the user loaded at authentication; an operator acts before the save.
    stale = UserFactory(is_superuser=True)
    User.objects.filter(pk=stale.pk).update(is_active=False, is_superuser=False, is_staff=False)
    services.user_profile_update(user=stale, full_name="New Name", phone_number="+48123456789")
    fresh = User.objects.get(pk=stale.pk)
    assert (fresh.full_name, fresh.phone_number) == ("New Name", "+48123456789")
    assert fresh.is_active is False
    assert fresh.is_superuser is False and fresh.is_staff is False


def test_profile_update_clearing_the_phone_stores_null():
    user = UserFactory(phone_number="+48123456789")
    services.user_profile_update(user=user, phone_number="")
    assert User.objects.get(pk=user.pk).phone_number is None


def test_superuser_set_from_the_shell_has_no_actor():
    user = UserFactory()
    services.user_superuser_set(actor=None, user_id=user.pk, value=True)
    user.refresh_from_db()
    assert user.is_superuser and user.is_staff
