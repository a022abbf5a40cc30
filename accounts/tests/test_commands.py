"""Operator commands from seed 1's helper scripts (CONTRACT §6.2)."""

import logging
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_list_users_prints_every_user_unmasked_with_email_and_superuser():
    alice = UserFactory(username="alice", full_name="Alice A", phone_number="+48123456789")
    bob = UserFactory(username="bob", email="Bob@Example.com", full_name=None, phone_number=None, is_superuser=True)
    out = run("list_users")
    lines = out.splitlines()
    assert lines[0] == "Users in database:"
    assert lines[1:] == [
        f"  ID: {alice.pk}, Username: alice, Full Name: Alice A, Phone: +48123456789,"
        " Email: alice@example.com, Superuser: False",
        # Issue 28.5: a missing name or phone prints as nothing, not Python's "None".
        f"  ID: {bob.pk}, Username: bob, Full Name: , Phone: , Email: Bob@Example.com, Superuser: True",
    ]


def test_list_users_logs_nothing(caplog):
    UserFactory(phone_number="+48123456789")
    with caplog.at_level(logging.DEBUG):
        run("list_users")
    assert "+48123456789" not in caplog.text


def test_list_users_empty():
    assert run("list_users").splitlines() == ["Users in database:"]


def test_set_user_phone_normalises_and_saves():
    user = UserFactory(username="alice")
    out = run("set_user_phone", "--username", "alice", "--phone", "+48 123-456-789")
    assert "+48123456789" in out
    user.refresh_from_db()
    assert user.phone_number == "+48123456789"
    assert not user.is_superuser


def test_set_user_phone_with_superuser():
    user = UserFactory(username="alice")
    run("set_user_phone", "--username", "alice", "--phone", "+48123456789", "--superuser")
    user.refresh_from_db()
    assert user.is_superuser and user.is_staff
    assert user.phone_number == "+48123456789"


def test_set_user_phone_replaces_a_number_and_touches_nothing_else():
    user = UserFactory(username="alice", full_name="Alice A", phone_number="+48111111111", is_superuser=True)
    other = UserFactory(username="bob", phone_number="+48222222222")
    out = run("set_user_phone", "--username", "alice", "--phone", "+48 333 333 333")
    assert out.strip() == "User alice: phone set to +48333333333"
    user.refresh_from_db()
    assert user.phone_number == "+48333333333"
    assert user.is_superuser and user.is_active and user.full_name == "Alice A"  # no --superuser: not demoted
    other.refresh_from_db()
    assert other.phone_number == "+48222222222" and not other.is_superuser


def test_set_user_phone_keeping_the_own_number_is_fine():
    user = UserFactory(username="alice", phone_number="+48123456789")
    out = run("set_user_phone", "--username", "alice", "--phone", "+48123456789", "--superuser")
    assert out.strip() == "User alice: phone set to +48123456789 and made superuser"
    user.refresh_from_db()
    assert user.phone_number == "+48123456789" and user.is_superuser


@pytest.mark.parametrize("phone", ["12345", "+0123456789", "not a phone", "+1234", ""])
def test_set_user_phone_rejects_invalid_numbers(phone):
    user = UserFactory(username="alice")
    with pytest.raises(CommandError) as exc_info:
        call_command("set_user_phone", "--username", "alice", "--phone", phone)
    assert "phone" in str(exc_info.value).lower()
    user.refresh_from_db()
    assert user.phone_number is None


def test_set_user_phone_rejects_a_taken_number():
    UserFactory(username="bob", phone_number="+48123456789")
    user = UserFactory(username="alice")
    with pytest.raises(CommandError, match="Phone number already registered"):
        call_command("set_user_phone", "--username", "alice", "--phone", "+48123456789", "--superuser")
    user.refresh_from_db()
    assert user.phone_number is None and not user.is_superuser


def test_set_user_phone_unknown_user():
    with pytest.raises(CommandError, match="'ghost' not found"):
        call_command("set_user_phone", "--username", "ghost", "--phone", "+48123456789")


def test_set_user_phone_requires_both_options():
    with pytest.raises(CommandError):
        call_command("set_user_phone", "--username", "alice")


def test_set_user_phone_can_revoke_superuser():
    user = UserFactory(username="alice", phone_number=None, is_superuser=True)
    out = run("set_user_phone", "--username", "alice", "--phone", "+48123456789", "--no-superuser")
    user.refresh_from_db()
    assert user.phone_number == "+48123456789"
    assert not user.is_superuser and not user.is_staff
    assert "superuser status revoked" in out


# --- phone verification (issue 22) ------------------------------------------------------------


def test_set_user_phone_leaves_a_new_number_unverified():
    user = UserFactory(username="alice", phone_number="+48111111111", phone_verified=True)
    run("set_user_phone", "--username", "alice", "--phone", "+48222222222")
    user.refresh_from_db()
    assert user.phone_number == "+48222222222" and not user.phone_verified


def test_set_user_phone_verified_marks_the_number_verified():
    user = UserFactory(username="alice")
    out = run("set_user_phone", "--username", "alice", "--phone", "+48 123 456 789", "--verified", "--superuser")
    assert out.strip() == "User alice: phone set to +48123456789 (verified) and made superuser"
    user.refresh_from_db()
    assert user.phone_verified and user.is_superuser


def test_set_user_phone_verified_links_the_numbers_contact():
    from inbox.models import Contact

    user = UserFactory(username="alice")
    Contact.objects.create(number="+48123456789", channel="sms")
    run("set_user_phone", "--username", "alice", "--phone", "+48123456789", "--verified")
    assert Contact.objects.get().user_id == user.pk


def test_mark_phones_verified_all():
    alice = UserFactory(username="alice", phone_number="+48111111111")
    bob = UserFactory(username="bob", phone_number="+48222222222", phone_verified=True)
    nobody = UserFactory(username="carol", phone_number=None)
    out = run("mark_phones_verified", "--all")
    assert out.splitlines() == ["  alice: +48111111111 verified", "1 phone number(s) marked verified."]
    for user in (alice, bob, nobody):
        user.refresh_from_db()
    assert alice.phone_verified and bob.phone_verified and not nobody.phone_verified


def test_mark_phones_verified_named_users_only():
    alice = UserFactory(username="alice", phone_number="+48111111111")
    bob = UserFactory(username="bob", phone_number="+48222222222")
    run("mark_phones_verified", "alice")
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert alice.phone_verified and not bob.phone_verified


@pytest.mark.parametrize("args", [(), ("--all", "alice"), ("ghost",)])
def test_mark_phones_verified_refuses_unclear_or_unknown_users(args):
    UserFactory(username="alice", phone_number="+48111111111")
    with pytest.raises(CommandError):
        call_command("mark_phones_verified", *args)


@pytest.mark.parametrize(
    ("start", "role", "flags"),
    [
        ({}, "agent", (True, False)),
        ({"is_superuser": True}, "agent", (True, False)),
        ({"is_staff": True}, "superuser", (True, True)),
        ({"is_staff": True}, "user", (False, False)),
        ({"is_superuser": True}, "user", (False, False)),
    ],
)
def test_set_user_role(start, role, flags):
    user = UserFactory(username="alice", **start)
    assert "role set to " + role in run("set_user_role", "--username", "alice", "--role", role)
    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser) == flags


def test_set_user_role_refuses_an_unknown_user_or_role():
    with pytest.raises(CommandError, match="not found"):
        run("set_user_role", "--username", "nobody", "--role", "agent")
    UserFactory(username="alice")
    with pytest.raises(CommandError):
        run("set_user_role", "--username", "alice", "--role", "admin")
