"""Quieter logs of the Twilio channel (issue 28 point 7): one line of ours per send and none of the
SDK's, the inbound sweep silent when its workers are merely busy, and "signature checks off" said
once per process that takes webhooks (and at start-up as a system check), not by every process."""

import logging
import logging.config
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.checks import run_checks
from django.utils import timezone

from core.logging import build_logging
from inbox.tasks import sweep_unanswered_inbound
from messaging.enums import Direction, ReplyState
from messaging.models import Message
from tests.helpers import capturing
from twilio_channel import webhooks
from twilio_channel.services.outbound import outbound_send_now
from twilio_channel.tests.factories import OutboundMessageFactory

pytestmark = pytest.mark.django_db

TO = "+48123456789"
OUR_NUMBER = "+15550001111"
UNCHECKED = "TWILIO_VALIDATE_SIGNATURE is off"


@pytest.fixture
def console_logging(tmp_path, capsys):
    """The project's LOGGING at a level, console only; the console is captured stderr."""

    def apply(level: str) -> None:
        logging.config.dictConfig(build_logging(logs_dir=tmp_path, to_files=False, level=level))

    yield apply
    logging.config.dictConfig(django_settings.LOGGING)


def test_a_send_logs_one_line_of_ours_and_none_of_the_sdk(fake_twilio, console_logging, capsys):
    console_logging("INFO")
    message = outbound_send_now(to=TO, body="Hello")
    console = capsys.readouterr().err
    assert "twilio.http_client" not in console and "BEGIN Twilio API Request" not in console
    assert console.count(f"Outbound message {message.pk} sent with SID={message.twilio_sid}") == 1

    console_logging("DEBUG")  # the SDK's lines for whoever asks
    outbound_send_now(to=TO, body="Again")
    assert "twilio.http_client: -- BEGIN Twilio API Request --" in capsys.readouterr().err


def _inbound(reply_state: str, **fields):
    return OutboundMessageFactory(
        direction=Direction.INBOUND, from_number=TO, to_number=OUR_NUMBER, reply_state=reply_state, **fields
    )


def test_the_inbound_sweep_with_busy_workers_and_nothing_waiting_is_no_warning(settings, caplog):
    settings.SWEEP_BATCH_SIZE = 1
    _inbound(ReplyState.PROCESSING)  # a reply running now
    with capturing(caplog, "twilio_webhook"):
        assert sweep_unanswered_inbound.delay().get() == 0
    assert [r.levelno for r in caplog.records if "re-enqueues no inbound" in r.getMessage()] == [logging.DEBUG]

    caplog.clear()
    waiting = _inbound(ReplyState.PENDING, twilio_sid="SM" + "f" * 32)
    Message.objects.filter(pk=waiting.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    with capturing(caplog, "twilio_webhook"):
        assert sweep_unanswered_inbound.delay().get() == 0
    assert [r.levelno for r in caplog.records if "re-enqueues no inbound" in r.getMessage()] == [logging.WARNING]


# --- "signature checks off" --------------------------------------------------------------------


@pytest.fixture
def fresh_process(monkeypatch):
    monkeypatch.setattr(webhooks, "_unchecked_warned", [False])


def test_unchecked_webhooks_are_warned_once_per_process(twilio_post, settings, caplog, fresh_process):
    settings.TWILIO_VALIDATE_SIGNATURE = False
    settings.CHAT_MODE = "off"
    with capturing(caplog, "twilio_webhook", level=logging.WARNING):
        for n in range(3):
            form = {"From": TO, "To": OUR_NUMBER, "Body": "Hi", "MessageSid": f"SM{n:032x}"}
            assert twilio_post("/twilio/inbound", form, signed=False).status_code == 200
    assert len([m for m in caplog.messages if UNCHECKED in m]) == 1


def test_unchecked_webhooks_are_a_system_check_warning(settings):
    settings.TWILIO_VALIDATE_SIGNATURE = False
    [warning] = [m for m in run_checks() if m.id == "twilio_channel.W001"]
    assert UNCHECKED in warning.msg
    settings.TWILIO_VALIDATE_SIGNATURE = True
    assert [m for m in run_checks() if m.id == "twilio_channel.W001"] == []


def test_a_process_that_takes_no_webhook_does_not_say_it(tmp_path):
    """A worker, beat or any command sets Django up and never sees a webhook: nothing to say."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "TWILIO_VALIDATE_SIGNATURE": "false",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }
    script = (
        "import django; django.setup(); from django.conf import settings; print(settings.TWILIO_VALIDATE_SIGNATURE)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=django_settings.BASE_DIR, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "False"
    assert UNCHECKED not in result.stderr
