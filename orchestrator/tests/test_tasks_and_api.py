"""The AI turn through the HTTP API and Celery: eager mode, a real worker, the sweeper, the log lines."""

import logging
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.db import connection
from django.utils import timezone

from messaging.enums import ReplyState
from messaging.models import Conversation, Message
from orchestrator.exceptions import LeaseBusy
from orchestrator.services.claims import lease_acquire
from orchestrator.services.turns import FALLBACK_TEXT, ai_reply_process
from orchestrator.tasks import process_ai_message, sweep_stale_ai_messages
from orchestrator.tests.helpers import send_to_bot
from tests.helpers import capturing


@pytest.mark.django_db
def test_post_to_the_bot_returns_201_at_once_and_the_reply_follows(
    auth_client, user, fake_llm, django_capture_on_commit_callbacks
):
    fake_llm.reply("async hello")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = auth_client.post("/messages", {"recipient_id": -1, "content": "hi"}, format="json")
        assert response.status_code == 201
        body = response.json()
        assert (body["sender_id"], body["recipient_id"], body["content"]) == (user.pk, -1, "hi")
        assert not Message.objects.filter(in_reply_to_id=body["id"]).exists()  # not yet: after commit

    assert len(callbacks) == 1
    reply = Message.objects.get(in_reply_to_id=body["id"])
    assert reply.content == "async hello" and reply.sender_id == -1
    assert Message.objects.get(pk=body["id"]).reply_state == ReplyState.DONE


@pytest.mark.django_db
def test_post_messages_ai_returns_the_reply(auth_client, user, fake_llm):
    fake_llm.reply("blocking hello")
    response = auth_client.post("/messages/ai", {"content": "hi"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["sender_id"], body["recipient_id"], body["content"]) == (-1, user.pk, "blocking hello")
    assert body["conversation_id"] == f"conv_-1_{user.pk}"


@pytest.mark.django_db
def test_post_messages_ai_falls_back_without_exception_text(auth_client, fake_llm):
    for _ in range(3):
        fake_llm.error(500, {"error": {"message": "Traceback: KeyError internal", "type": "server_error"}})
    response = auth_client.post("/messages/ai", {"recipient_id": -1, "content": "hi"}, format="json")
    assert response.status_code == 200
    assert response.json()["content"] == (
        "I apologize, but I encountered an error while processing your message. Please try again later."
    )


@pytest.mark.django_db
def test_history_endpoints_see_the_ai_turns_and_clear_resets_the_model_context(auth_client, fake_llm):
    fake_llm.reply("Nice to meet you, Ann")
    auth_client.post("/messages/ai", {"content": "I am Ann"}, format="json")
    history = auth_client.get("/messages/history").json()
    assert history == {
        "history": [
            {"role": "user", "content": "I am Ann", "failed": False},
            {"role": "assistant", "content": "Nice to meet you, Ann", "failed": False},
        ],
        "message_count": 2,
    }

    assert auth_client.delete("/messages/history/clear").status_code == 200
    auth_client.post("/messages/ai", {"content": "who am I?"}, format="json")

    assert fake_llm.requests[-1]["messages"][1:] == [{"role": "user", "content": "who am I?"}]


@pytest.mark.django_db
def test_a_failed_turn_shows_in_the_history_and_the_conversation_list_but_not_in_the_model_context(
    auth_client, user, fake_llm, django_capture_on_commit_callbacks
):
    fake_llm.error(400)  # not retried: the turn fails at once
    with django_capture_on_commit_callbacks(execute=True):
        sent = auth_client.post("/messages", {"recipient_id": -1, "content": "are you there?"}, format="json")
    assert sent.status_code == 201

    assert auth_client.get("/messages/history").json() == {
        "history": [
            {"role": "user", "content": "are you there?", "failed": False},
            {"role": "assistant", "content": FALLBACK_TEXT, "failed": True},
        ],
        "message_count": 2,
    }
    [row] = auth_client.get("/auth/conversations").json()
    assert (row["conversation_id"], row["last_message"], row["last_message_failed"]) == (
        f"conv_-1_{user.pk}",
        FALLBACK_TEXT[:100],
        True,
    )

    fake_llm.reply("yes, I am")
    with django_capture_on_commit_callbacks(execute=True):
        auth_client.post("/messages", {"recipient_id": -1, "content": "hello?"}, format="json")
    assert [m["content"] for m in fake_llm.requests[-1]["messages"][1:]] == ["are you there?", "hello?"]
    assert auth_client.get("/messages/history").json()["history"][-1] == {
        "role": "assistant",
        "content": "yes, I am",
        "failed": False,
    }
    assert auth_client.get("/auth/conversations").json()[0]["last_message_failed"] is False


@pytest.mark.django_db
def test_an_ai_chat_under_a_custom_conversation_id_keeps_the_user_and_assistant_roles(auth_client, fake_llm):
    fake_llm.reply("first answer")
    fake_llm.reply("second answer")
    first = auth_client.post("/messages/ai", {"content": "first question", "conversation_id": "my_ai_chat"})
    second = auth_client.post("/messages/ai", {"content": "second question", "conversation_id": "my_ai_chat"})

    assert first.status_code == second.status_code == 200
    assert second.json()["conversation_id"] == "my_ai_chat"
    assert fake_llm.requests[-1]["messages"][1:] == [
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "first answer"},
        {"role": "user", "content": "second question"},
    ]


@pytest.mark.django_db
def test_the_task_retries_2_to_5_seconds_later_while_the_conversation_is_busy(user, fake_llm):
    message = send_to_bot(user, "hi")
    lease_acquire(conversation_id=message.conversation_id)

    with pytest.raises(Retry) as caught:
        process_ai_message.delay(message.pk)

    assert isinstance(caught.value.exc, LeaseBusy)
    assert 2 <= caught.value.when <= 5
    message.refresh_from_db()
    assert message.reply_state == ReplyState.PENDING  # back in line for the retry (or the sweeper)
    assert fake_llm.requests == []


def test_the_task_is_routed_to_the_ai_queue_and_acks_late():
    from config.celery import app

    route = app.amqp.router.route({}, process_ai_message.name)
    assert route["queue"].name == "ai"
    assert process_ai_message.acks_late is True
    assert 2 <= process_ai_message.default_retry_delay <= 5


def test_the_sweeper_runs_often_enough_to_recover_a_dead_workers_turn_within_a_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["orchestrator-sweep-stale-ai-messages"]
    assert entry == {"task": sweep_stale_ai_messages.name, "schedule": 15.0}
    # A lease lapses at most AI_LEASE_S after the last heartbeat; the next sweep re-enqueues.
    assert settings.AI_LEASE_S + entry["schedule"] <= 45


# --- sweeper ----------------------------------------------------------------------------------


def _age(message: Message, seconds: int = 600) -> None:
    Message.objects.filter(pk=message.pk).update(updated_at=timezone.now() - timedelta(seconds=seconds))


@pytest.mark.django_db
def test_the_sweeper_reenqueues_a_stale_pending_message(user, fake_llm):
    fake_llm.reply("better late than never")
    stale = send_to_bot(user, "anyone?")  # the broker was down: no task ever ran
    _age(stale)
    fresh = send_to_bot(user, "just sent")  # its task is presumably still on its way

    assert sweep_stale_ai_messages.delay().get() == 1

    assert Message.objects.get(in_reply_to=stale).content == "better late than never"
    fresh.refresh_from_db()
    assert fresh.reply_state == ReplyState.PENDING


@pytest.mark.django_db
def test_the_sweeper_moves_a_message_only_while_it_is_still_stale(user, fake_llm):
    """Its move holds the staleness condition again: a message touched between the sweep's read and
    its move (re-enqueued by another sweeper meanwhile) is not re-enqueued a second time."""
    stale = send_to_bot(user, "anyone?")
    _age(stale)
    touched: list[str] = []

    def touched_meanwhile(execute, sql, params, many, context):
        if sql.startswith('UPDATE "messaging_message"') and not touched:
            touched.append(sql)
            Message.objects.filter(pk=stale.pk).update(updated_at=timezone.now())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(touched_meanwhile):
        assert sweep_stale_ai_messages.delay().get() == 0

    assert touched
    stale.refresh_from_db()
    assert stale.reply_state == ReplyState.PENDING
    assert not Message.objects.filter(in_reply_to=stale).exists()


@pytest.mark.django_db
def test_the_sweeper_recovers_a_turn_whose_worker_died(user, fake_llm):
    message = send_to_bot(user, "hi")
    Message.objects.filter(pk=message.pk).update(reply_state=ReplyState.PROCESSING)
    _age(message)  # the dead worker's lease was never taken or has expired

    assert sweep_stale_ai_messages.delay().get() == 1
    message.refresh_from_db()
    assert message.reply_state == ReplyState.DONE
    assert Message.objects.filter(in_reply_to=message).count() == 1


@pytest.mark.django_db
def test_the_sweeper_leaves_a_running_turn_alone(user, fake_llm):
    message = send_to_bot(user, "hi")
    Message.objects.filter(pk=message.pk).update(reply_state=ReplyState.PROCESSING)
    _age(message)
    lease_acquire(conversation_id=message.conversation_id)  # a live turn holds the lease

    assert sweep_stale_ai_messages.delay().get() == 0
    message.refresh_from_db()
    assert message.reply_state == ReplyState.PROCESSING


@pytest.mark.django_db
def test_the_sweeper_takes_over_a_dead_workers_turn_once_its_lease_lapsed(user, fake_llm, settings):
    """Within a minute, not after the old multi-minute lease: a claim one lease old, lease lapsed."""
    fake_llm.reply("taken over")
    dead = send_to_bot(user, "hi")
    Message.objects.filter(pk=dead.pk).update(reply_state=ReplyState.PROCESSING)
    lease_acquire(conversation_id=dead.conversation_id)
    Conversation.objects.filter(pk=dead.conversation_id).update(ai_lease_until=timezone.now() - timedelta(seconds=1))
    _age(dead, seconds=int(settings.AI_LEASE_S) + 1)
    just_claimed = send_to_bot(user, "other thread", conversation_key="another_ai_thread")
    Message.objects.filter(pk=just_claimed.pk).update(reply_state=ReplyState.PROCESSING)  # lease comes next

    assert sweep_stale_ai_messages.delay().get() == 1

    assert Message.objects.get(in_reply_to=dead).content == "taken over"
    just_claimed.refresh_from_db()
    assert just_claimed.reply_state == ReplyState.PROCESSING


@pytest.mark.django_db
def test_a_pending_message_is_reenqueued_after_the_stale_threshold_only(user, fake_llm, settings):
    waiting = send_to_bot(user, "hi")
    _age(waiting, seconds=settings.AI_STALE_REPLY_AFTER_S - 5)
    assert sweep_stale_ai_messages.delay().get() == 0
    _age(waiting, seconds=settings.AI_STALE_REPLY_AFTER_S + 1)
    assert sweep_stale_ai_messages.delay().get() == 1


# --- log lines (§4.1 point 8, §9.1 point 8) ---------------------------------------------------


@pytest.mark.django_db
def test_log_lines_keep_their_shapes_and_bodies_only_at_debug(user, fake_llm, orchestrator_log):
    fake_llm.tool_call("create_report", {"title": "Leaking roof", "content": "Gym, since Monday"})
    fake_llm.reply("Done")
    ai_reply_process(message_id=send_to_bot(user, "make a report: the gym roof is leaking").pk)

    info = [r.getMessage() for r in orchestrator_log.records if r.levelno >= logging.INFO]
    debug = [r.getMessage() for r in orchestrator_log.records if r.levelno == logging.DEBUG]
    assert "Routing to agent: report_agent" in info
    assert f"report_agent calling function: create_report with user_id={user.pk}, args=" in "\n".join(info)
    assert any(line.startswith("report_agent create_report result: ") for line in info)
    assert any(line.startswith(f"User {user.pk}: ") and "(history_len=0)" in line for line in info)
    assert not any("roof" in line or "Gym" in line for line in info)  # no bodies at INFO
    assert f"User {user.pk}: make a report: the gym roof is leaking... (history_len=0)" in debug
    assert any(line.startswith("report_agent create_report result: Report created successfully!") for line in debug)


@pytest.mark.django_db
def test_short_free_text_tool_arguments_stay_out_of_info_lines(user, fake_llm, orchestrator_log):
    fake_llm.tool_calls(
        [
            ("create_report", {"title": "Leak", "content": "Gym"}),
            ("get_my_reports", {"status_filter": "open"}),
        ]
    )
    fake_llm.reply("Done")
    message = send_to_bot(user, "report: leak in the gym")

    process_ai_message.delay(message.pk)

    info = "\n".join(r.getMessage() for r in orchestrator_log.records if r.levelno >= logging.INFO)
    assert "create_report with user_id=" in info
    assert "Leak" not in info and "Gym" not in info  # report text is a body: DEBUG only
    assert "'status_filter': 'open'" in info  # enum values say what happened and stay


def test_registered_agents_are_logged_at_debug(caplog):
    from orchestrator.agents import GENERAL, register_agent

    with capturing(caplog, "orchestrator"):
        register_agent(GENERAL)
    assert [(r.levelno, r.getMessage()) for r in caplog.records if "Registered agent" in r.getMessage()] == [
        (logging.DEBUG, "Registered agent: general")
    ]


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_still_stores_the_message_and_answers_201(auth_client, user, monkeypatch):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(process_ai_message, "delay", broker_down)
    response = auth_client.post("/messages", {"recipient_id": -1, "content": "are you there?"}, format="json")

    assert response.status_code == 201
    stored = Message.objects.get(pk=response.json()["id"])
    assert stored.reply_state == ReplyState.PENDING  # the sweeper will pick it up


@pytest.mark.django_db
def test_history_holds_only_turns_before_the_message_answered(user, fake_llm):
    first = send_to_bot(user, "first question")
    second = send_to_bot(user, "second question")
    fake_llm.reply("answer to the first")

    ai_reply_process(message_id=first.pk)

    sent = fake_llm.requests[-1]["messages"]
    contents = [m["content"] for m in sent if m["role"] != "system"]
    assert contents == ["first question"]
    assert second.content not in contents
