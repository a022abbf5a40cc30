"""The Twilio sync of the message log (CONTRACT §4.4.7, §4.5, §8.2): upsert by SID with placeholder
matching, a lost webhook of the inbound reconcile's window answered once, the reactive reply to the
newest inbound message of the history at most once, and the global throttle shared by every process
(two OS processes against Redis below).

History is what arrived before the reconcile's window (`_history`): a message of the window that we
never stored is a lost webhook, whoever lists it first."""

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import UserFactory
from inbox.models import AutoReplyConfig, Contact
from inbox.services.modes import auto_reply_config_set
from messaging.enums import ReplyState
from messaging.models import Message
from tests.helpers import redis_cache_settings
from tests.processes import RedisServer, free_port
from twilio_channel.models import OutboundSend, SendState
from twilio_channel.services import remote
from twilio_channel.services.outbound import outbound_create
from twilio_channel.services.remote import sync_recent_messages, sync_request
from twilio_channel.tasks import reconcile_inbound
from twilio_channel.tasks import sync_recent_messages as sync_task
from twilio_channel.tests.conftest import ACCOUNT_SID, AUTH_TOKEN
from twilio_channel.tests.factories import OutboundMessageFactory

pytestmark = pytest.mark.django_db

OUR_NUMBER = "+15550001111"
ANN = "+48123456789"
BOB = "+48987654321"
THANKS = "Thanks, we will get back to you."


def _ago(seconds: float) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=seconds)


def _history(seconds: float = 0) -> datetime:
    """`seconds` before the inbound reconcile's window begins: history, no lost webhook."""
    return _ago(django_settings.TWILIO_INBOUND_RECONCILE_WINDOW_S + 60 + seconds)


@pytest.fixture
def sync(fake_twilio, django_capture_on_commit_callbacks):
    """One sync as the task runs it, with the work it queues (the reply, its send) run too."""

    def run(limit: int = 50) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return sync_recent_messages(limit=limit)

    return run


@pytest.fixture
def auto_reply_on(db):
    """Auto-reply mode, switched on a minute before `_history()`."""
    config = auto_reply_config_set(enabled=True, message=THANKS)
    AutoReplyConfig.objects.filter(pk=1).update(enabled_since=_history(60))
    config.refresh_from_db()
    return config


def replies(fake_twilio, to: str) -> list[str]:
    return [message["body"] for message in fake_twilio.created(to=to)]


# --- upsert by SID ------------------------------------------------------------------------------


def test_a_sync_upserts_by_sid_and_only_moves_statuses_forward(sync, fake_twilio):
    delivered = fake_twilio.add_message(to=ANN, from_=OUR_NUMBER, body="One", status="delivered")
    late = fake_twilio.add_message(to=ANN, from_=OUR_NUMBER, body="Two", status="sent")
    moving = OutboundMessageFactory(twilio_sid=delivered["sid"], status="sent", content="One")
    ahead = OutboundMessageFactory(twilio_sid=late["sid"], status="delivered", content="Two")
    fresh = fake_twilio.add_message(to=f"whatsapp:{BOB}", from_=f"whatsapp:{OUR_NUMBER}", body="Three")

    assert sync() == 3
    assert sync() == 3

    moving.refresh_from_db()
    ahead.refresh_from_db()
    assert (moving.status, ahead.status) == ("delivered", "delivered")  # a late "sent" never lowers it
    assert Message.objects.count() == 3
    imported = Message.objects.get(external_id=fresh["sid"])
    assert (imported.channel, imported.participant_number, imported.conversation.key) == (
        "whatsapp",
        BOB,
        f"whatsapp:{BOB}",
    )


def test_a_failed_message_in_twilio_keeps_its_error(sync, fake_twilio):
    failed = fake_twilio.add_message(to=ANN, from_=OUR_NUMBER, body="x", status="failed", error_code=30003)
    sync()
    message = Message.objects.get(external_id=failed["sid"])
    assert (message.status, message.error) == ("failed", "Error code: 30003")


def test_an_inbound_message_from_a_known_user_is_filed_as_the_webhook_files_it(sync, fake_twilio):
    ann = UserFactory(phone_number=ANN, phone_verified=True)
    received_at = _history()
    remote_message = fake_twilio.add_inbound(from_=ANN, to=OUR_NUMBER, body="Hi from Ann", date_created=received_at)
    sync()
    message = Message.objects.get(external_id=remote_message["sid"])
    assert (message.direction, message.sender_id, message.content) == ("inbound", ann.pk, "Hi from Ann")
    assert message.created_at == received_at
    contact = Contact.objects.get(address=ANN, channel="sms")
    assert contact.user == ann and contact.last_inbound_at == received_at  # the message's time, not now


def test_an_old_stop_imported_by_a_sync_opts_nobody_out(sync, fake_twilio):
    fake_twilio.add_inbound(from_=ANN, to=OUR_NUMBER, body="STOP", date_created=_history())
    sync()
    assert Contact.objects.get(address=ANN, channel="sms").opted_out is False


# --- placeholders -------------------------------------------------------------------------------


def test_a_local_row_without_sid_takes_the_sid_of_its_twilio_copy(sync, fake_twilio, twilio_settings):
    lost = outbound_create(to=ANN, body="Did it go out?")  # the answer of its send was lost
    OutboundSend.objects.filter(message=lost).update(state=SendState.SENDING)
    remote_message = fake_twilio.add_message(to=ANN, from_=OUR_NUMBER, body="Did it go out?", status="sent")

    sync()

    lost.refresh_from_db()
    assert (lost.twilio_sid, lost.status) == (remote_message["sid"], "sent")
    assert Message.objects.count() == 1


def test_a_placeholder_must_be_within_600_seconds_and_may_have_reached_twilio(sync, fake_twilio, twilio_settings):
    old = OutboundMessageFactory(
        twilio_sid=None, content="Same text", created_at=timezone.now() - timedelta(minutes=11)
    )
    waiting = outbound_create(to=ANN, body="Same text")  # never attempted: never went to Twilio
    remote_message = fake_twilio.add_message(to=ANN, from_=OUR_NUMBER, body="Same text")

    sync()

    old.refresh_from_db()
    waiting.refresh_from_db()
    assert old.twilio_sid is None and waiting.twilio_sid is None
    assert Message.objects.get(external_id=remote_message["sid"]).pk not in (old.pk, waiting.pk)


def test_a_placeholder_with_another_sender_is_not_matched(sync, fake_twilio):
    other = OutboundMessageFactory(twilio_sid=None, from_number="+15550002222", status="failed")
    fake_twilio.add_message(to=ANN, from_=OUR_NUMBER, body=other.content)
    sync()
    other.refresh_from_db()
    assert other.twilio_sid is None
    assert Message.objects.count() == 2


# --- the reactive reply (§4.4.7, §4.5) -----------------------------------------------------------


def test_the_newest_inbound_message_is_answered_once(sync, fake_twilio, auto_reply_on):
    fake_twilio.add_inbound(from_=BOB, to=OUR_NUMBER, body="Earlier", date_created=_history(20))
    newest = fake_twilio.add_inbound(from_=ANN, to=OUR_NUMBER, body="Hello?", date_created=_history(10))

    sync()

    assert replies(fake_twilio, ANN) == [THANKS]
    assert replies(fake_twilio, BOB) == []  # only the newest inbound message of a listing
    message = Message.objects.get(external_id=newest["sid"])
    assert message.reply_state == ReplyState.DONE
    reply = Message.objects.get(in_reply_to=message)
    assert (reply.from_number, reply.to_number) == (OUR_NUMBER, ANN)

    sync()  # the reply is now listed too: stored by SID, and nothing is answered again
    sync()
    assert replies(fake_twilio, ANN) == [THANKS]
    assert Message.objects.filter(direction="outbound").count() == 1


def test_a_message_received_before_the_mode_was_enabled_gets_no_reply(sync, fake_twilio, auto_reply_on):
    before = fake_twilio.add_inbound(from_=ANN, to=OUR_NUMBER, body="Old", date_created=_history(120))
    sync()
    assert replies(fake_twilio, ANN) == []
    assert Message.objects.get(external_id=before["sid"]).reply_state == ReplyState.NONE


def test_no_reply_without_a_reply_mode_on(sync, fake_twilio, settings):
    settings.CHAT_MODE = "echo"  # the chat engine answers webhooks, never history
    fake_twilio.add_inbound(from_=ANN, to=OUR_NUMBER, body="Anyone?", date_created=_history())
    sync()
    assert replies(fake_twilio, ANN) == []


def test_a_message_someone_already_answered_gets_no_reply(sync, fake_twilio, auto_reply_on):
    fake_twilio.add_inbound(from_=ANN, to=OUR_NUMBER, body="Question", date_created=_history(20))
    fake_twilio.add_message(to=ANN, from_=OUR_NUMBER, body="Answered from the console", date_created=_history(10))
    sync()
    assert fake_twilio.created(to=ANN) == []


def test_a_message_the_webhook_stored_is_never_answered_again_by_a_sync(
    sync, fake_twilio, auto_reply_on, twilio_post, django_capture_on_commit_callbacks
):
    sid = "SM" + "d" * 32
    form = {"From": ANN, "To": OUR_NUMBER, "Body": "Via webhook", "MessageSid": sid, "SmsStatus": "received"}
    with django_capture_on_commit_callbacks(execute=True):
        assert twilio_post("/twilio/inbound", form).status_code == 200
    assert replies(fake_twilio, ANN) == [THANKS]
    Message.objects.filter(direction="outbound").delete()  # even with its reply gone here
    fake_twilio.add_inbound(from_=ANN, to=OUR_NUMBER, body="Via webhook", sid=sid)

    sync()

    assert replies(fake_twilio, ANN) == [THANKS]


def test_a_reply_the_ai_gives_goes_through_its_own_turn(sync, fake_twilio, fake_llm, settings):
    from orchestrator.models import AIConfig

    AIConfig.objects.update_or_create(
        pk=1,
        defaults={"enabled": True, "target_number": ANN, "enabled_since": _history(60)},
    )
    fake_llm.reply("Hello from the AI")
    fake_twilio.add_inbound(from_=BOB, to=OUR_NUMBER, body="Hi bot", date_created=_history())

    sync()
    sync()

    assert replies(fake_twilio, BOB) == ["Hello from the AI"]


# --- a lost webhook the sync lists before the inbound reconcile does (CONTRACT §8.2) -------------


@pytest.fixture
def reconcile(django_capture_on_commit_callbacks):
    def run() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return reconcile_inbound.delay().get()

    return run


def test_a_lost_webhook_the_sync_lists_first_is_answered_once(
    sync, reconcile, fake_twilio, settings, twilio_post, django_capture_on_commit_callbacks
):
    settings.CHAT_MODE = "echo"  # what answers a stranger's webhook with no reply mode on
    older = fake_twilio.add_inbound(from_=BOB, to=OUR_NUMBER, body="First", date_created=_ago(90))
    lost = fake_twilio.add_inbound(from_=ANN, to=OUR_NUMBER, body="Hello?", date_created=_ago(40))

    sync()

    assert replies(fake_twilio, ANN) == ["Echo: Hello?"]
    assert replies(fake_twilio, BOB) == ["Echo: First"]  # every lost webhook, not only the newest
    message = Message.objects.get(external_id=lost["sid"])
    assert message.reply_state == ReplyState.DONE
    assert Message.objects.filter(in_reply_to=message).count() == 1

    sync()
    assert reconcile() == 0  # stored by the sync: nothing left to it
    form = {"From": ANN, "To": OUR_NUMBER, "Body": "Hello?", "MessageSid": lost["sid"]}
    with django_capture_on_commit_callbacks(execute=True):
        assert twilio_post("/twilio/inbound", form).status_code == 200  # the webhook, late

    assert replies(fake_twilio, ANN) == ["Echo: Hello?"]
    assert replies(fake_twilio, BOB) == ["Echo: First"]
    assert Message.objects.filter(external_id__in=[older["sid"], lost["sid"]]).count() == 2


def test_a_message_whose_webhook_may_still_come_is_left_to_it(
    sync, fake_twilio, settings, twilio_post, django_capture_on_commit_callbacks
):
    settings.CHAT_MODE = "echo"
    young = fake_twilio.add_inbound(from_=ANN, to=OUR_NUMBER, body="Just now", date_created=_ago(2))

    sync()
    assert not Message.objects.filter(external_id=young["sid"]).exists()  # not stored unanswered

    form = {"From": ANN, "To": OUR_NUMBER, "Body": "Just now", "MessageSid": young["sid"]}
    with django_capture_on_commit_callbacks(execute=True):
        assert twilio_post("/twilio/inbound", form).status_code == 200
    sync()
    assert replies(fake_twilio, ANN) == ["Echo: Just now"]


def test_history_is_not_answered_when_the_newest_inbound_message_is_a_lost_webhook(sync, fake_twilio, auto_reply_on):
    old = fake_twilio.add_inbound(from_=BOB, to=OUR_NUMBER, body="Old", date_created=_history())
    fake_twilio.add_inbound(from_=ANN, to=OUR_NUMBER, body="Lost", date_created=_ago(40))

    sync()

    assert replies(fake_twilio, ANN) == [THANKS]
    assert replies(fake_twilio, BOB) == []
    assert Message.objects.get(external_id=old["sid"]).reply_state == ReplyState.NONE


def test_a_lost_webhook_fetched_by_its_sid_is_answered_once(
    fake_twilio, settings, django_capture_on_commit_callbacks, reconcile
):
    settings.CHAT_MODE = "echo"
    staff = Client()
    staff.force_login(UserFactory(is_superuser=True))
    lost = fake_twilio.add_inbound(from_=ANN, to=OUR_NUMBER, body="Fetch me", date_created=_ago(40))

    with django_capture_on_commit_callbacks(execute=True):
        assert staff.get(f"/api/messages/{lost['sid']}").status_code == 200
        assert staff.get(f"/api/messages/{lost['sid']}").status_code == 200
    assert reconcile() == 0

    assert replies(fake_twilio, ANN) == ["Echo: Fetch me"]
    assert Message.objects.get(external_id=lost["sid"]).reply_state == ReplyState.DONE


# --- the task, and the throttle -------------------------------------------------------------------


def test_the_task_syncs_and_a_twilio_failure_is_no_error(fake_twilio):
    fake_twilio.add_message(to=ANN, from_=OUR_NUMBER, body="Listed")
    assert sync_task.delay(10).get() == 1
    assert Message.objects.count() == 1
    fake_twilio.fail(503, operation="list")
    assert sync_task.delay(10).get() == 0


def test_two_requests_within_the_interval_enqueue_one_sync(fake_twilio, settings, django_capture_on_commit_callbacks):
    settings.TWILIO_SYNC_MIN_INTERVAL_S = 1
    fake_twilio.add_message(to=ANN, from_=OUR_NUMBER, body="Listed")
    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert sync_request(limit=7) is True
        assert sync_request(limit=7) is False
    assert len(queued) == 1
    assert len(fake_twilio.calls("list")) == 1
    assert fake_twilio.calls("list")[0].query["PageSize"] == "7"

    time.sleep(1.2)  # the key expires with the interval
    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert sync_request() is True
    assert len(queued) == 1


def test_no_sync_without_twilio_credentials(settings, django_capture_on_commit_callbacks):
    settings.TWILIO_ACCOUNT_SID = ""
    with django_capture_on_commit_callbacks() as queued:
        assert sync_request() is False
    assert queued == []


@pytest.fixture
def fresh_process_throttle():
    remote._process_last_sync[0] = float("-inf")
    yield
    remote._process_last_sync[0] = float("-inf")


def test_with_the_cache_down_each_process_throttles_itself(
    fake_twilio, settings, django_capture_on_commit_callbacks, fresh_process_throttle
):
    settings.CACHES = redis_cache_settings(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.2)
    with django_capture_on_commit_callbacks() as queued:
        assert sync_request() is True
        assert sync_request() is False
    assert len(queued) == 1


def test_reads_of_the_log_ask_for_a_sync_and_answer_from_the_database(
    fake_twilio, client, django_capture_on_commit_callbacks
):
    client.force_login(UserFactory(is_superuser=True))
    listed = fake_twilio.add_message(to=ANN, from_=OUR_NUMBER, body="From Twilio")
    with django_capture_on_commit_callbacks(execute=True):
        first = client.get("/api/messages")
    assert first.json()["count"] == 0  # eventually consistent: the sync ran after the answer
    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert client.get("/api/messages").json()["items"][0]["sid"] == listed["sid"]
        assert client.get("/api/messages/stats").json()["total"] == 1
        assert client.get(f"/api/conversations/{ANN}").json()["count"] == 1
    assert queued == []  # throttled: one sync for all of them
    assert len(fake_twilio.calls("list")) == 1


# --- the throttle across processes (Redis) --------------------------------------------------------

PROCESS_SCRIPT = """
import sys, time
from pathlib import Path
import django
django.setup()
from twilio_channel.services.remote import sync_request
ready, go = Path(sys.argv[1]), Path(sys.argv[2])
ready.touch()
deadline = time.monotonic() + 60
while not go.exists() and time.monotonic() < deadline:
    time.sleep(0.002)
print("enqueued" if sync_request(limit=5) else "throttled", flush=True)
"""


@pytest.fixture
def shared_redis_url():
    """REDIS_URL when set (the CI pass); else a redis-server of this test's own. Without either the
    test skips, and in CI it fails (CONTRACT §9.1 point 7)."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    if not RedisServer.available():
        reason = "needs Redis: REDIS_URL, or the redis-server binary to start one"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (required in CI)")
        pytest.skip(reason)
    server = RedisServer().start()
    yield server.url()
    server.close()


def test_the_throttle_is_shared_between_two_processes(shared_redis_url, fake_twilio, tmp_path):
    import redis

    store = redis.Redis.from_url(shared_redis_url)
    key = f":1:{remote.SYNC_KEY}"  # Django's key for it (no prefix, version 1)
    store.delete(key)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "REDIS_URL": shared_redis_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",  # the processes query nothing
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_API_BASE_URL": fake_twilio.url,
        "TWILIO_SYNC_MIN_INTERVAL_S": "60",
    }
    go = tmp_path / "go"
    ready = [tmp_path / f"ready-{n}" for n in range(2)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", PROCESS_SCRIPT, str(path), str(go)],
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in ready
    ]
    try:
        deadline = time.monotonic() + 60
        while not all(path.exists() for path in ready) and time.monotonic() < deadline:
            assert all(process.poll() is None for process in processes), processes[0].stderr.read()
            time.sleep(0.01)
        go.touch()  # both ask at the same moment
        outcomes = [process.communicate(timeout=60) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    said = sorted(out.strip() for out, _ in outcomes)
    assert said == ["enqueued", "throttled"], [err[-2000:] for _, err in outcomes]
    assert len(fake_twilio.calls("list")) == 1  # the one enqueued sync ran (eagerly, in its process)
    assert 0 < store.ttl(key) <= 60
    store.delete(key)
