"""A mistyped INBOX_CHANNELS entry is a system-check error at start-up (manage.py check)."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError


def test_the_configured_channels_pass_the_check():
    call_command("check")


@pytest.mark.parametrize(
    ("name", "path", "problem"),
    [
        ("telegram", "telegram_nowhere.channel.TELEGRAM", "does not import"),
        ("telegram", "tests.fakes.channel.sender", "is not an inbox.channels.Channel"),
        ("telegram", "tests.fakes.channel.TEST", "declares the channel 'test', not 'telegram'"),
    ],
)
def test_a_wrong_entry_is_an_error(settings, name, path, problem):
    settings.INBOX_CHANNELS = {**settings.INBOX_CHANNELS, name: path}
    with pytest.raises(SystemCheckError, match=problem):
        call_command("check")
