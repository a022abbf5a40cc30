"""The command line (CONTRACT §6.1 `send`, §6.2 `sync_twilio`, §9.3 point 4): the same services as
the API, the same refusal texts, a non-zero exit code on failure."""

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from inbox.models import Contact
from messaging.models import Message

pytestmark = pytest.mark.django_db

TO = "+48123456789"
SERVICE_SID = "MG" + "1" * 32


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# --- send ----------------------------------------------------------------------------------------


def test_send_that_twilio_is_too_busy_for_is_queued_and_says_so(fake_twilio):
    fake_twilio.fail(429)
    out = run("send", "--to", TO, "--body", "Later")
    message = Message.objects.get()
    assert out.strip() == f"Twilio is busy: message {message.pk} is queued and will be sent shortly."
    assert (message.status, message.twilio_sid) == ("queued", None)


def test_send_sends_stores_and_prints_the_sid(fake_twilio):
    out = run("send", "--to", TO, "--body", "Hello from the shell")

    [sent] = fake_twilio.created(to=TO)
    assert out.strip() == f"Message sent. SID={sent['sid']}"
    assert (sent["from"], sent["body"]) == ("+15550001111", "Hello from the shell")
    message = Message.objects.get(external_id=sent["sid"])
    assert (message.direction, message.channel, message.content, message.sender_id) == (
        "outbound",
        "sms",
        "Hello from the shell",
        None,
    )


def test_send_with_the_messaging_service_flag(fake_twilio, settings):
    settings.TWILIO_MESSAGING_SERVICE_SID = SERVICE_SID
    run("send", "--to", TO, "--body", "Via the service", "--use-messaging-service")
    run("send", "--to", TO, "--body", "From the number")  # without the flag: the default From

    via_service, from_number = fake_twilio.created(to=TO)
    assert fake_twilio.create_params(via_service["sid"])["MessagingServiceSid"] == [SERVICE_SID]
    assert "From" not in fake_twilio.create_params(via_service["sid"])
    assert from_number["from"] == "+15550001111"
    assert "MessagingServiceSid" not in fake_twilio.create_params(from_number["sid"])


def test_send_to_a_whatsapp_address_is_a_whatsapp_message(fake_twilio):
    Contact.objects.create(number=TO, channel="whatsapp", last_inbound_at=timezone.now())  # the window is open
    run("send", "--to", f"whatsapp:{TO}", "--body", "Hi on WhatsApp")
    [sent] = fake_twilio.created(to=f"whatsapp:{TO}")
    assert sent["from"] == "whatsapp:+15550001111"
    assert Message.objects.get(external_id=sent["sid"]).channel == "whatsapp"


@pytest.mark.parametrize(
    ("to", "error"),
    [
        ("48123456789", "Field 'to' must be E.164 formatted (e.g. +48123456789)"),
        (f"whatsapp:{TO}", "WhatsApp 24-hour window closed; provide content_sid."),
    ],
)
def test_send_refusals_are_command_errors_with_the_api_text(fake_twilio, to, error):
    with pytest.raises(CommandError) as raised:
        run("send", "--to", to, "--body", "Hi")
    assert str(raised.value) == error
    assert fake_twilio.created() == []


def test_send_to_an_opted_out_recipient_is_refused(fake_twilio):
    Contact.objects.create(number=TO, channel="sms", opted_out=True)
    with pytest.raises(CommandError, match=r"^Recipient has opted out\.$"):
        run("send", "--to", TO, "--body", "Hi")
    assert fake_twilio.created() == []


def test_send_without_twilio_credentials_is_refused(fake_twilio, settings):
    settings.TWILIO_AUTH_TOKEN = ""
    with pytest.raises(CommandError, match=r"^Twilio is not configured\.$"):
        run("send", "--to", TO, "--body", "Hi")
    assert fake_twilio.requests == []


def test_the_messaging_service_flag_without_a_service_is_refused(fake_twilio, settings):
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    with pytest.raises(CommandError, match=r"^No TWILIO_MESSAGING_SERVICE_SID is configured\.$"):
        run("send", "--to", TO, "--body", "Hi", "--use-messaging-service")


def test_a_twilio_failure_is_a_generic_error_and_keeps_a_failed_row(fake_twilio):
    fake_twilio.reject_recipient(TO, code=21211, message="Invalid 'To' Phone Number")
    with pytest.raises(CommandError, match=r"^Twilio send failed$"):
        run("send", "--to", TO, "--body", "Hi")
    failed = Message.objects.get(to_number=TO)
    assert (failed.status, failed.error) == ("failed", "Error code: 21211 HTTP 400")


@pytest.mark.parametrize("missing", [["--to", TO], ["--body", "Hi"]])
def test_send_needs_both_to_and_body(fake_twilio, missing):
    with pytest.raises(CommandError, match="required"):
        run("send", *missing)


# --- sync_twilio ---------------------------------------------------------------------------------


def test_sync_twilio_upserts_the_newest_messages(fake_twilio):
    for n in range(3):
        fake_twilio.add_message(to=TO, from_="+15550001111", body=f"Message {n}")

    assert run("sync_twilio", "--limit", "2").strip() == "Synced 2 message(s) from Twilio."
    assert Message.objects.count() == 2
    assert fake_twilio.calls("list")[-1].query["PageSize"] == "2"

    assert run("sync_twilio").strip() == "Synced 3 message(s) from Twilio."  # default limit 50
    assert fake_twilio.calls("list")[-1].query["PageSize"] == "50"
    assert Message.objects.count() == 3


def test_sync_twilio_fails_when_twilio_fails(fake_twilio):
    fake_twilio.fail(500, operation="list")
    with pytest.raises(CommandError, match=r"^Error code: 20500 HTTP 500$"):
        run("sync_twilio")


def test_sync_twilio_without_credentials_fails(fake_twilio, settings):
    settings.TWILIO_ACCOUNT_SID = ""
    with pytest.raises(CommandError, match=r"^Twilio is not configured\.$"):
        run("sync_twilio")


# --- as a shell runs them: the exit code --------------------------------------------------------


def manage(*args: str, tmp_path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",  # a refusal queries nothing
        "TWILIO_ACCOUNT_SID": "",
        "TWILIO_AUTH_TOKEN": "",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_manage_py_send_exits_non_zero_with_the_refusal(tmp_path):
    result = manage("send", "--to", TO, "--body", "Hi", tmp_path=tmp_path)
    assert result.returncode == 1
    assert "Twilio is not configured." in result.stderr
    assert "Message sent" not in result.stdout

    usage = manage("send", "--body", "Hi", tmp_path=tmp_path)
    assert usage.returncode == 2 and "--to" in usage.stderr


def test_manage_py_sync_twilio_exits_non_zero_without_twilio(tmp_path):
    result = manage("sync_twilio", "--limit", "5", tmp_path=tmp_path)
    assert result.returncode == 1
    assert "Twilio is not configured." in result.stderr
