"""Service-level rules that the HTTP tests cannot interleave."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import User, UserSession
from accounts.services import sessions, users
from accounts.tests.factories import UserFactory
from core.exceptions import ApplicationError

pytestmark = pytest.mark.django_db


def test_profile_update_does_not_undo_a_concurrent_disable_or_demotion():
    # The view holds the user loaded at authentication; an operator acts before the save.
    stale = UserFactory(is_superuser=True)
    User.objects.filter(pk=stale.pk).update(is_active=False, is_superuser=False, is_staff=False)
    users.user_profile_update(user=stale, full_name="New Name", phone_number="+48123456789")
    fresh = User.objects.get(pk=stale.pk)
    assert (fresh.full_name, fresh.phone_number) == ("New Name", "+48123456789")
    assert fresh.is_active is False
    assert fresh.is_superuser is False and fresh.is_staff is False


def test_profile_update_clearing_the_phone_stores_null():
    user = UserFactory(phone_number="+48123456789")
    users.user_profile_update(user=user, phone_number="")
    assert User.objects.get(pk=user.pk).phone_number is None


def test_superuser_set_from_the_shell_has_no_actor():
    user = UserFactory()
    users.user_superuser_set(actor=None, user_id=user.pk, value=True)
    user.refresh_from_db()
    assert user.is_superuser and user.is_staff


def test_an_agent_stays_staff_when_saved_and_a_superuser_is_always_staff():
    agent = UserFactory(is_staff=True)
    agent.full_name = "Agent A"
    agent.save()
    agent.refresh_from_db()
    assert agent.is_staff and not agent.is_superuser
    boss = UserFactory(is_superuser=True, is_staff=False)
    assert User.objects.get(pk=boss.pk).is_staff


def test_agent_set_refuses_a_superuser_and_yourself():
    boss = UserFactory(is_superuser=True)
    agent = UserFactory(is_staff=True)
    with pytest.raises(ApplicationError, match="always staff"):
        users.user_agent_set(actor=None, user_id=boss.pk, value=False)
    with pytest.raises(ApplicationError, match="your own agent status"):
        users.user_agent_set(actor=agent, user_id=agent.pk, value=False)


def _user_with_tokens(count: int) -> User:
    user = UserFactory()
    for _ in range(count):
        sessions.session_open(user=user, device_info="pytest", ip_address="127.0.0.1")
    return user


def _logout_all_queries(user: User) -> int:
    with CaptureQueriesContext(connection) as queries:
        sessions.user_logout_all(user=user)
    return len(queries)


def test_logout_all_blacklists_every_token_in_a_constant_number_of_queries():
    few, many = _user_with_tokens(1), _user_with_tokens(25)
    assert _logout_all_queries(few) == _logout_all_queries(many) <= 6
    for user in (few, many):
        outstanding = OutstandingToken.objects.filter(user=user)
        assert outstanding.count() == BlacklistedToken.objects.filter(token__user=user).count() > 0
        assert not UserSession.objects.filter(user=user, is_active=True).exists()


def test_logout_all_skips_tokens_blacklisted_already():
    user = _user_with_tokens(3)
    BlacklistedToken.objects.create(token=OutstandingToken.objects.filter(user=user).first())
    sessions.user_logout_all(user=user)
    sessions.user_logout_all(user=user)  # nothing left to do, no conflict either
    assert BlacklistedToken.objects.filter(token__user=user).count() == 3
