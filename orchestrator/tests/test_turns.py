"""The AI turn service over the loopback LLM: replies, failures, commands, idempotency, the lease."""

import threading
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from messaging.bot import bot_responder
from messaging.enums import ConversationMode, Direction, ReplyState
from messaging.models import Conversation, Message
from messaging.services.conversations import ai_history_clear
from orchestrator.exceptions import LeaseBusy
from orchestrator.services import turns
from orchestrator.services.claims import LeaseHeartbeat, lease_acquire, lease_release
from orchestrator.services.turns import FALLBACK_TEXT, SYNC_FALLBACK_TEXT, ai_reply_process, ai_reply_sync
from orchestrator.tests.helpers import bot_replies, send_to_bot

pytestmark = pytest.mark.django_db


def test_plain_reply_is_stored_with_model_and_token_usage(user, fake_llm):
    fake_llm.reply("Hello there!", model="gpt-4o-mini-2024-07-18", prompt_tokens=42, completion_tokens=5)
    message = send_to_bot(user, "hi")

    reply = ai_reply_process(message_id=message.pk)

    assert reply.content == "Hello there!"
    assert (reply.sender_id, reply.recipient_id) == (-1, user.pk)
    assert reply.conversation_id == message.conversation_id
    assert reply.conversation.key == f"conv_-1_{user.pk}"
    assert reply.in_reply_to_id == message.pk
    assert reply.channel == "web" and reply.direction == Direction.INTERNAL and reply.is_read is False
    assert reply.model == "gpt-4o-mini-2024-07-18"
    assert (reply.prompt_tokens, reply.completion_tokens) == (42, 5)
    assert reply.agent == "general"
    message.refresh_from_db()
    assert message.reply_state == ReplyState.DONE
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.last_message_at == reply.created_at
    assert conversation.last_agent == "general"

    sent = fake_llm.requests[-1]
    assert sent["model"] == "gpt-3.5-turbo-1106"
    assert sent["messages"][0]["role"] == "system"
    assert sent["messages"][-1] == {"role": "user", "content": "hi"}
    assert [t["function"]["name"] for t in sent["tools"]] == ["search_knowledge", "handoff_to_human"]


def test_the_reply_keeps_the_channel_of_the_input(user, fake_llm):
    message = send_to_bot(user, "hi", channel="api")
    assert ai_reply_process(message_id=message.pk).channel == "api"


def test_unicode_is_kept_both_ways(user, fake_llm):
    fake_llm.reply("Zażółć gęślą jaźń — 你好 😀")
    message = send_to_bot(user, "Cześć, co słychać? 你好 😀")

    reply = ai_reply_process(message_id=message.pk)

    assert reply.content == "Zażółć gęślą jaźń — 你好 😀"
    assert fake_llm.requests[-1]["messages"][-1]["content"] == "Cześć, co słychać? 你好 😀"


def test_an_empty_model_reply_becomes_a_polite_prompt(user, fake_llm):
    fake_llm.reply("")
    reply = ai_reply_process(message_id=send_to_bot(user, "hi").pk)
    assert reply.content == "I didn't understand that. Can you try again?"


def test_redelivery_answers_once(user, fake_llm):
    message = send_to_bot(user, "hi")

    first = ai_reply_process(message_id=message.pk)
    second = ai_reply_process(message_id=message.pk)

    assert first is not None and second is None
    assert len(fake_llm.requests) == 1
    assert Message.objects.filter(in_reply_to=message).count() == 1


def test_a_message_that_is_not_pending_is_never_answered(user, fake_llm):
    message = send_to_bot(user, "hi")
    Message.objects.filter(pk=message.pk).update(reply_state=ReplyState.NONE)
    assert ai_reply_process(message_id=message.pk) is None
    assert fake_llm.requests == []


# --- failures -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 429, 400])
def test_llm_http_errors_give_the_fallback_and_mark_the_turn_failed(user, fake_llm, status):
    for _ in range(3):
        fake_llm.error(status, {"error": {"message": "SECRET-INTERNAL-DETAIL", "type": "boom"}})
    message = send_to_bot(user, "hi")

    reply = ai_reply_process(message_id=message.pk)

    assert reply.content == FALLBACK_TEXT
    assert "SECRET" not in reply.content
    message.refresh_from_db()
    assert message.reply_state == ReplyState.FAILED
    # 5xx and 429 are retried twice (three requests); a 400 is not retried.
    assert len(fake_llm.requests) == (1 if status == 400 else 3)


def test_a_transient_error_is_retried_and_the_turn_succeeds(user, fake_llm):
    fake_llm.error(500).error(503)
    fake_llm.reply("recovered")
    reply = ai_reply_process(message_id=send_to_bot(user, "hi").pk)
    assert reply.content == "recovered"
    assert len(fake_llm.requests) == 3


def test_a_malformed_llm_response_gives_the_fallback(user, fake_llm):
    for _ in range(3):
        fake_llm.malformed()
    message = send_to_bot(user, "hi")
    assert ai_reply_process(message_id=message.pk).content == FALLBACK_TEXT
    message.refresh_from_db()
    assert message.reply_state == ReplyState.FAILED


def test_an_llm_timeout_gives_the_fallback(user, fake_llm, settings):
    settings.AI_LLM_TIMEOUT_S = 0.2
    settings.AI_LLM_RETRIES = 0
    fake_llm.reply("too late", delay=1.0)
    message = send_to_bot(user, "hi")

    reply = ai_reply_process(message_id=message.pk)

    assert reply.content == FALLBACK_TEXT
    message.refresh_from_db()
    assert message.reply_state == ReplyState.FAILED


def test_the_sync_turn_is_bounded_as_a_whole(user, fake_llm, settings):
    """AI_SYNC_TIMEOUT_S covers every round and retry, not one call (§9.4 point 4)."""
    settings.AI_SYNC_TIMEOUT_S = 0.6
    settings.AI_LLM_TIMEOUT_S = 60
    fake_llm.set_latency(0.25)
    fake_llm.set_default_reply("never reached")
    for _ in range(5):  # each round alone is within the per-call timeout
        fake_llm.tool_call("handoff_to_human", {"reason": "x"})
    message = send_to_bot(user, "hello")

    started = timezone.now()
    reply = ai_reply_sync(message_id=message.pk)
    elapsed = (timezone.now() - started).total_seconds()

    assert reply.content == SYNC_FALLBACK_TEXT
    assert elapsed < 1.5
    message.refresh_from_db()
    assert message.reply_state == ReplyState.FAILED


def test_the_sync_turn_returns_the_reply(user, fake_llm):
    fake_llm.reply("sync answer")
    message = send_to_bot(user, "hi")
    reply = ai_reply_sync(message_id=message.pk)
    assert reply.content == "sync answer" and reply.in_reply_to_id == message.pk


def test_the_sync_turn_after_a_redelivery_returns_the_existing_reply(user, fake_llm):
    message = send_to_bot(user, "hi")
    first = ai_reply_process(message_id=message.pk)
    assert ai_reply_sync(message_id=message.pk) == first


# --- human handoff --------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["human", "  AGENT ", "Human"])
def test_human_command_switches_to_human_mode_and_the_ai_goes_silent(user, fake_llm, command):
    message = send_to_bot(user, command)
    ack = ai_reply_process(message_id=message.pk)

    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.mode == ConversationMode.HUMAN
    assert "human" in ack.content.lower()
    assert fake_llm.requests == []  # a command never reaches the model

    later = send_to_bot(user, "is anyone there?")
    assert ai_reply_process(message_id=later.pk) is None
    later.refresh_from_db()
    assert later.reply_state == ReplyState.SKIPPED
    assert fake_llm.requests == []
    assert len(bot_replies(user)) == 1


def test_bot_command_returns_to_the_ai(user, fake_llm):
    ai_reply_process(message_id=send_to_bot(user, "human").pk)
    back = ai_reply_process(message_id=send_to_bot(user, "bot").pk)
    assert "AI assistant" in back.content
    fake_llm.reply("AI again")
    assert ai_reply_process(message_id=send_to_bot(user, "hello").pk).content == "AI again"
    assert Conversation.objects.get(key=f"conv_-1_{user.pk}").mode == ConversationMode.AI


def test_a_sentence_mentioning_a_human_is_an_ordinary_message(user, fake_llm):
    fake_llm.reply("Sure, what do you need?")
    message = send_to_bot(user, "I need a human")
    assert ai_reply_process(message_id=message.pk).content == "Sure, what do you need?"
    assert Conversation.objects.get(pk=message.conversation_id).mode == ConversationMode.AI


def test_the_model_can_hand_off_with_the_tool(user, fake_llm):
    fake_llm.tool_call("handoff_to_human", {"reason": "wants a person"})
    fake_llm.reply("A colleague will reply here soon.")
    message = send_to_bot(user, "can I talk to someone real?")

    reply = ai_reply_process(message_id=message.pk)

    assert reply.content == "A colleague will reply here soon."
    assert Conversation.objects.get(pk=message.conversation_id).mode == ConversationMode.HUMAN
    tool_result = fake_llm.requests[-1]["messages"][-1]
    assert tool_result["role"] == "tool" and "handed over" in tool_result["content"]
    assert ai_reply_process(message_id=send_to_bot(user, "hello?").pk) is None


def test_sync_turn_in_human_mode_returns_the_users_own_message(user, fake_llm):
    ai_reply_process(message_id=send_to_bot(user, "human").pk)
    message = send_to_bot(user, "hello staff")
    assert ai_reply_sync(message_id=message.pk) == message
    assert fake_llm.requests == []


# --- history window -------------------------------------------------------------------------


def test_history_excludes_the_current_message_and_keeps_the_order(user, fake_llm):
    fake_llm.reply("first answer")
    ai_reply_process(message_id=send_to_bot(user, "first question").pk)
    fake_llm.reply("second answer")
    ai_reply_process(message_id=send_to_bot(user, "second question").pk)

    sent = fake_llm.requests[-1]["messages"]
    assert sent[1:] == [
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "first answer"},
        {"role": "user", "content": "second question"},
    ]


def test_history_is_capped_at_chat_history_max(user, fake_llm, settings):
    settings.CHAT_HISTORY_MAX = 4
    for n in range(4):
        fake_llm.reply(f"answer {n}")
        ai_reply_process(message_id=send_to_bot(user, f"question {n}").pk)
    ai_reply_process(message_id=send_to_bot(user, "latest").pk)

    sent = fake_llm.requests[-1]["messages"]
    assert [m["content"] for m in sent[1:]] == ["question 2", "answer 2", "question 3", "answer 3", "latest"]
    assert sum(m["content"] == "latest" for m in sent) == 1


def test_history_clear_starts_a_fresh_context(user, fake_llm):
    fake_llm.reply("remembered")
    ai_reply_process(message_id=send_to_bot(user, "my name is Ann").pk)
    ai_history_clear(user=user)
    ai_reply_process(message_id=send_to_bot(user, "what is my name?").pk)

    sent = fake_llm.requests[-1]["messages"]
    assert [m["role"] for m in sent] == ["system", "user"]
    assert sent[-1]["content"] == "what is my name?"


# --- one turn at a time per conversation (the lease) ------------------------------------------


def test_a_second_message_waits_for_the_lease_and_sees_the_first_exchange(user, fake_llm):
    first = send_to_bot(user, "first")
    leased = lease_acquire(conversation_id=first.conversation_id)  # a turn of `first` is running
    second = send_to_bot(user, "second")

    with pytest.raises(LeaseBusy):
        ai_reply_process(message_id=second.pk)
    second.refresh_from_db()
    assert second.reply_state == ReplyState.PENDING  # put back for the retry
    assert fake_llm.requests == []

    lease_release(conversation_id=first.conversation_id, token=leased.ai_lease_token)
    fake_llm.reply("answer to first")
    ai_reply_process(message_id=first.pk)
    fake_llm.reply("answer to second")
    reply = ai_reply_process(message_id=second.pk)

    assert reply.content == "answer to second"
    sent = fake_llm.requests[-1]["messages"]
    assert {"role": "assistant", "content": "answer to first"} in sent
    assert sent[-1] == {"role": "user", "content": "second"}


def test_the_lease_is_released_after_a_turn_even_when_it_fails(user, fake_llm):
    fake_llm.error(400)
    message = send_to_bot(user, "hi")
    ai_reply_process(message_id=message.pk)
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.ai_lease_until is None and conversation.ai_lease_token == ""


def test_the_turn_goes_by_the_conversation_as_its_lease_finds_it(user, fake_llm, monkeypatch):
    """The message is read before its claim; a stale turn's "human" that lands after that read
    (before the lease) must still silence this turn: the mode comes with the lease."""
    message = send_to_bot(user, "hello?")
    real_claim = turns.claim_in_order

    def claim_then_handed_off(message_id, *, burst=False):
        claimed = real_claim(message_id, burst=burst)
        Conversation.objects.filter(pk=message.conversation_id).update(mode=ConversationMode.HUMAN)
        return claimed

    monkeypatch.setattr(turns, "claim_in_order", claim_then_handed_off)

    assert ai_reply_process(message_id=message.pk) is None
    message.refresh_from_db()
    assert message.reply_state == ReplyState.SKIPPED
    assert fake_llm.requests == []
    assert Conversation.objects.get(pk=message.conversation_id).ai_lease_token == ""  # given back


def test_a_turn_reads_the_message_once_and_the_conversation_with_its_lease(user, fake_llm):
    fake_llm.reply("hello")
    message = send_to_bot(user, "hi")
    with CaptureQueriesContext(connection) as queries:
        reply = ai_reply_process(message_id=message.pk)

    assert reply.content == "hello"
    statements = [query["sql"] for query in queries.captured_queries]
    conversation_table = Conversation._meta.db_table
    reads = [sql for sql in statements if sql.startswith("SELECT") and "messaging_" in sql.split(" WHERE ")[0]]
    assert len(reads) == 2  # the message with its conversation's owner, then the history
    assert all(f'FROM "{Message._meta.db_table}"' in sql for sql in reads)
    leases = [sql for sql in statements if sql.startswith(f'UPDATE "{conversation_table}"') and "ai_lease_token" in sql]
    assert len(leases) == 2 and "RETURNING" in leases[0]  # taken (the row comes back), then released


def test_an_expired_lease_can_be_taken_over(user, fake_llm):
    message = send_to_bot(user, "hi")
    Conversation.objects.filter(pk=message.conversation_id).update(
        ai_lease_until=timezone.now() - timedelta(seconds=1), ai_lease_token="dead-worker"
    )
    fake_llm.reply("taken over")

    assert ai_reply_process(message_id=message.pk).content == "taken over"
    message.refresh_from_db()
    assert message.reply_state == ReplyState.DONE
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.ai_lease_token == "" and conversation.ai_lease_until is None  # ours, given back


def test_the_sync_turn_waits_briefly_for_a_busy_conversation(user, fake_llm, settings):
    settings.AI_SYNC_TIMEOUT_S = 0.4
    message = send_to_bot(user, "hi")
    lease_acquire(conversation_id=message.conversation_id)

    reply = ai_reply_sync(message_id=message.pk)

    assert reply.content == SYNC_FALLBACK_TEXT
    message.refresh_from_db()
    assert message.reply_state == ReplyState.FAILED
    assert fake_llm.requests == []


def test_messages_of_a_conversation_are_answered_in_order(user, fake_llm):
    """Two tasks picked up together: the later message never overtakes the earlier one."""
    first = send_to_bot(user, "first")
    second = send_to_bot(user, "second")

    with pytest.raises(LeaseBusy):
        ai_reply_process(message_id=second.pk)
    second.refresh_from_db()
    assert second.reply_state == ReplyState.PENDING
    assert Conversation.objects.get(pk=first.conversation_id).ai_lease_token == ""  # lease given back

    fake_llm.reply("answer to first").reply("answer to second")
    assert ai_reply_process(message_id=first.pk).content == "answer to first"
    assert ai_reply_process(message_id=second.pk).content == "answer to second"


def test_a_stale_earlier_message_does_not_block_the_conversation(user, fake_llm):
    lost = send_to_bot(user, "lost task")
    Message.objects.filter(pk=lost.pk).update(updated_at=timezone.now() - timedelta(minutes=10))
    later = send_to_bot(user, "later")
    fake_llm.reply("answer to later")

    assert ai_reply_process(message_id=later.pk).content == "answer to later"
    lost.refresh_from_db()
    assert lost.reply_state == ReplyState.PENDING  # left for the sweeper, not answered or dropped
    assert bot_replies(user)[-1].in_reply_to_id == later.pk
    assert [m["content"] for m in fake_llm.requests[-1]["messages"] if m["role"] == "user"][-1] == "later"


def test_a_crash_inside_the_turn_still_gives_the_fallback(user, fake_llm, monkeypatch):
    from orchestrator.services import turns as services

    def broken(**kwargs):
        raise KeyError("internal-detail")

    monkeypatch.setattr(services, "run_agent", broken)
    message = send_to_bot(user, "hi")
    reply = ai_reply_process(message_id=message.pk)
    assert reply.content == FALLBACK_TEXT and "internal" not in reply.content
    message.refresh_from_db()
    assert message.reply_state == ReplyState.FAILED


def test_storing_the_reply_gives_the_lease_back(user, fake_llm):
    fake_llm.reply("hello")
    message = send_to_bot(user, "hi")
    assert ai_reply_process(message_id=message.pk).content == "hello"
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.ai_lease_until is None and conversation.ai_lease_token == ""
    assert lease_acquire(conversation_id=conversation.pk) is not None


def test_storing_the_reply_never_clears_a_lease_another_worker_took_over(user, fake_llm, monkeypatch):
    from orchestrator.services import turns as services

    message = send_to_bot(user, "hi")
    real_generate = services.generate_reply

    def slow_turn(**kwargs):
        # our lease expired mid-turn and another worker took the conversation over
        Conversation.objects.filter(pk=message.conversation_id).update(
            ai_lease_until=timezone.now() + timedelta(minutes=1), ai_lease_token="other-worker"
        )
        return real_generate(**kwargs)

    monkeypatch.setattr(services, "generate_reply", slow_turn)

    assert ai_reply_process(message_id=message.pk) is None  # the late worker stores nothing
    assert bot_replies(user) == []
    assert Conversation.objects.get(pk=message.conversation_id).ai_lease_token == "other-worker"
    message.refresh_from_db()
    assert message.reply_state == ReplyState.PROCESSING  # the worker that took over answers it


@pytest.mark.django_db(transaction=True)
def test_a_turn_longer_than_its_lease_keeps_it_through_the_heartbeat(user, fake_llm, settings, monkeypatch):
    monkeypatch.setattr(bot_responder(), "turn_task", SimpleNamespace(delay=lambda *args: None))  # run it here
    monkeypatch.setattr(turns, "heartbeat", LeaseHeartbeat())  # not one still asleep from an earlier test
    settings.AI_LEASE_S = 0.4  # renewed every 0.1 s
    fake_llm.reply("worth the wait", delay=1.2)
    message = send_to_bot(user, "think hard")
    taken = []

    def another_worker() -> None:
        time.sleep(0.8)  # two leases later: without renewals it would have lapsed
        taken.append(lease_acquire(conversation_id=message.conversation_id))
        connection.close()

    rival = threading.Thread(target=another_worker)
    rival.start()
    reply = ai_reply_process(message_id=message.pk)
    rival.join()

    assert taken == [None]
    assert reply.content == "worth the wait"
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.ai_lease_token == ""  # given back with the reply


def test_a_failed_turns_fallback_is_not_sent_back_to_the_model(user, fake_llm):
    fake_llm.error(400)
    first = send_to_bot(user, "first question")
    failed = ai_reply_process(message_id=first.pk)
    assert failed.content == FALLBACK_TEXT

    fake_llm.reply("a real answer")
    second = send_to_bot(user, "second question")
    ai_reply_process(message_id=second.pk)

    sent = [m["content"] for m in fake_llm.requests[-1]["messages"] if m["role"] != "system"]
    assert sent == ["first question", "second question"]
