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


def test_a_channel_with_no_way_to_send_is_an_error(settings, monkeypatch):
    from dataclasses import replace

    import tests.fakes.channel as fake

    monkeypatch.setattr(fake, "MUTE", replace(fake.TEST, sender=""), raising=False)
    settings.INBOX_CHANNELS = {**settings.INBOX_CHANNELS, "test": "tests.fakes.channel.MUTE"}
    with pytest.raises(SystemCheckError, match="names neither a sender nor a replier"):
        call_command("check")
