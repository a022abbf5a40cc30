"""Issue 27 point 3, AI spend caps: a cost for every LLM call, stored with the reply's token usage;
daily caps per contact and for all turns, reserved before each call and settled after it; a spent
budget answers with the fallback text or hands over. Turns run through the Celery task (in
process) against the loopback LLM stand-in."""

import threading
from decimal import Decimal

import pytest
from django.core import checks
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from config.celery import app as celery_app
from messaging.enums import ConversationMode, ReplyState
from messaging.models import Conversation, Message, ModeChange
from orchestrator.handoff import HANDOFF_ACK
from orchestrator.models import GLOBAL_SCOPE, AISpend
from orchestrator.services.turns import FALLBACK_TEXT, SYNC_FALLBACK_TEXT
from orchestrator.tasks import process_ai_message
from orchestrator.tests.helpers import send_to_bot

pytestmark = pytest.mark.django_db

CALL = Decimal("0.1")  # one call below: 100 output tokens at 1 USD per 1,000, input free


def turn(user, text: str = "hi") -> Message:
    """The user's message to the bot answered by the task; the stored reply."""
    message = send_to_bot(user, text)
    process_ai_message.apply(args=[message.pk])
    return Message.objects.get(in_reply_to=message)


@pytest.fixture
def priced(settings, fake_llm):
    """Every call costs exactly CALL, and its ceiling is CALL too: the stand-in always uses all
    AI_MAX_OUTPUT_TOKENS, and input is free (so the prompt's size bound adds nothing)."""
    settings.AI_PRICE_PER_1K_INPUT_TOKENS = "0"
    settings.AI_PRICE_PER_1K_OUTPUT_TOKENS = "1"
    settings.AI_MAX_OUTPUT_TOKENS = 100
    fake_llm.state.prompt_tokens, fake_llm.state.completion_tokens = 250, 100
    return settings


@pytest.fixture
def queued_turns():
    """The stored messages' turns are queued (to the in-memory broker), not run at once, so a test
    can run them together."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = eager


def spend(scope: str) -> AISpend:
    return AISpend.objects.get(scope=scope)


# --- the cost of a call ----------------------------------------------------------------------------


def test_a_known_model_is_priced_from_litellms_map_and_shown_in_the_token_report(user, fake_llm, admin_client):
    fake_llm.reply("Hello", prompt_tokens=1000, completion_tokens=500)  # LITELLM_MODEL gpt-3.5-turbo-1106

    reply = turn(user)

    # gpt-3.5-turbo-1106 in the map: 0.001 USD per 1K input tokens, 0.002 per 1K output tokens.
    assert reply.ai_cost == Decimal("0.002")
    page = admin_client.get("/admin/messaging/message/token-usage/").content.decode()
    assert "Cost (USD)" in page and "0.002000" in page


def test_custom_prices_price_a_model_the_map_does_not_know(user, fake_llm, settings):
    settings.LITELLM_MODEL = "my-local-llama"
    settings.AI_PRICE_PER_1K_INPUT_TOKENS = "0.5"
    settings.AI_PRICE_PER_1K_OUTPUT_TOKENS = "1.5"
    fake_llm.reply("Hello", prompt_tokens=1000, completion_tokens=500)

    assert turn(user).ai_cost == Decimal("1.25")


def test_custom_prices_win_over_the_map(user, fake_llm, settings):
    settings.AI_PRICE_PER_1K_OUTPUT_TOKENS = "2"  # the input price unset counts as 0
    fake_llm.reply("Hello", prompt_tokens=1000, completion_tokens=500)

    assert turn(user).ai_cost == Decimal("1")


def test_an_unknown_model_without_prices_is_unpriced(user, fake_llm, settings):
    settings.LITELLM_MODEL = "my-local-llama"
    fake_llm.reply("Hello", prompt_tokens=1000, completion_tokens=500)

    reply = turn(user)

    assert reply.content == "Hello" and reply.ai_cost is None


def test_every_round_of_a_turn_is_counted(user, fake_llm, priced):
    fake_llm.tool_call("get_my_reports")
    fake_llm.reply("You have no reports.")

    reply = turn(user, "show my reports")

    assert reply.content == "You have no reports."
    assert reply.ai_cost == 2 * CALL


# --- the caps --------------------------------------------------------------------------------------


def test_without_caps_nothing_is_reserved_and_no_spend_statement_runs(user, fake_llm, priced):
    with CaptureQueriesContext(connection) as queries:
        reply = turn(user)

    assert reply.ai_cost == CALL
    assert not any("aispend" in query["sql"].lower() for query in queries.captured_queries)
    assert not AISpend.objects.exists()
    assert "max_tokens" not in fake_llm.requests[-1]  # requests are as they were without caps


def test_the_contact_cap_stops_the_llm_and_answers_with_the_fallback(user, other_user, fake_llm, priced):
    priced.AI_CONTACT_DAILY_BUDGET = str(2 * CALL)

    answered = [turn(user, f"question {n}") for n in range(3)]

    assert [reply.content for reply in answered] == ["OK", "OK", FALLBACK_TEXT]
    assert len(fake_llm.requests) == 2  # the third turn made no call
    assert fake_llm.requests[0]["max_tokens"] == 100  # the ceiling reserved is the ceiling asked for
    assert answered[2].in_reply_to.reply_state == ReplyState.FAILED  # its fallback is no model context
    row = spend(f"contact:user:{user.pk}")
    assert (row.spent, row.reserved, row.calls) == (2 * CALL, 0, 2)
    assert turn(other_user).content == "OK"  # another contact has a budget of its own


def test_the_blocking_api_turn_answers_the_fallback_when_the_budget_is_spent(auth_client, fake_llm, priced):
    priced.AI_CONTACT_DAILY_BUDGET = str(CALL)

    first = auth_client.post("/messages/ai", {"content": "hello"}, format="json")
    second = auth_client.post("/messages/ai", {"content": "hello again"}, format="json")

    assert (first.status_code, first.json()["content"]) == (200, "OK")
    assert (second.status_code, second.json()["content"]) == (200, SYNC_FALLBACK_TEXT)
    assert len(fake_llm.requests) == 1


def test_a_capped_call_costs_one_update_per_cap_and_one_to_settle(user, fake_llm, priced):
    priced.AI_CONTACT_DAILY_BUDGET = "1"
    priced.AI_DAILY_BUDGET = "10"
    turn(user, "first")  # the day's rows exist from here on

    with CaptureQueriesContext(connection) as queries:
        turn(user, "second")

    spend_sql = [q["sql"] for q in queries.captured_queries if "aispend" in q["sql"].lower()]
    assert [sql.split()[0] for sql in spend_sql] == ["UPDATE", "UPDATE", "UPDATE"]


def test_the_global_cap_holds_across_contacts(user, other_user, fake_llm, priced):
    priced.AI_DAILY_BUDGET = str(CALL)

    assert turn(user).content == "OK"
    assert turn(other_user).content == FALLBACK_TEXT
    assert len(fake_llm.requests) == 1
    assert (spend(GLOBAL_SCOPE).spent, spend(GLOBAL_SCOPE).reserved) == (CALL, 0)


def test_a_spent_budget_can_hand_the_conversation_over(user, fake_llm, priced):
    priced.AI_CONTACT_DAILY_BUDGET = "0"
    priced.AI_BUDGET_EXHAUSTED_ACTION = "handoff"

    reply = turn(user)

    assert reply.content == HANDOFF_ACK
    assert fake_llm.requests == []
    assert Conversation.objects.get(pk=reply.conversation_id).mode == ConversationMode.HUMAN
    assert list(ModeChange.objects.values_list("mode", "reason", "channel")) == [("human", "budget", "web")]


def test_a_failed_llm_call_gives_its_reservation_back(user, fake_llm, priced):
    priced.AI_CONTACT_DAILY_BUDGET = str(CALL)  # room for exactly one call
    fake_llm.error(400)

    assert turn(user, "first").content == FALLBACK_TEXT
    row = spend(f"contact:user:{user.pk}")
    assert (row.spent, row.reserved, row.calls) == (0, 0, 0)
    assert turn(user, "second").content == "OK"  # the whole budget is still there
    assert turn(user, "third").content == FALLBACK_TEXT


def test_a_budget_spent_in_the_middle_of_a_turn_ends_it_with_the_fallback(user, fake_llm, priced):
    priced.AI_CONTACT_DAILY_BUDGET = str(CALL)
    fake_llm.tool_call("get_my_reports")

    reply = turn(user, "show my reports")

    assert reply.content == FALLBACK_TEXT
    assert len(fake_llm.requests) == 1
    assert reply.ai_cost == CALL  # what the first round cost is recorded with the fallback


def test_the_admin_shows_todays_spend_reservation_and_caps(user, fake_llm, priced, admin_client):
    priced.AI_CONTACT_DAILY_BUDGET = "0.25"
    priced.AI_DAILY_BUDGET = "5"
    turn(user)

    page = admin_client.get("/admin/orchestrator/aispend/").content.decode()

    assert f"contact:user:{user.pk}" in page and "global" in page
    assert "0.100000" in page  # spent
    assert "0.150000" in page  # the contact's room left
    assert "4.900000" in page  # the global room left
    assert "each contact 0.250000, all turns 5.000000" in page
    assert admin_client.get("/admin/orchestrator/aispend/add/").status_code == 403


def test_a_cap_that_is_no_number_is_a_warning_at_start(settings):
    settings.AI_DAILY_BUDGET = "ten dollars"
    settings.AI_BUDGET_EXHAUSTED_ACTION = "shrug"

    found = {message.id for message in checks.run_checks()}

    assert {"orchestrator.W002", "orchestrator.W003"} <= found


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_turns_reach_the_cap_exactly_and_never_overrun_it(fake_llm, priced, queued_turns):
    """Eight contacts' turns at once against a global cap with room for three calls: exactly three
    reach the LLM, the others answer the fallback, and the day's spend is the cap to the cent."""
    priced.AI_DAILY_BUDGET = str(3 * CALL)
    fake_llm.set_latency(0.3)  # every turn reserves while the others' calls are still running
    users = [UserFactory() for _ in range(8)]
    messages = [send_to_bot(user, "hi") for user in users]
    assert not Message.objects.filter(in_reply_to__in=messages).exists()
    barrier = threading.Barrier(len(messages))

    def run(message_id: int) -> None:
        barrier.wait()
        try:
            process_ai_message.apply(args=[message_id])
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(message.pk,)) for message in messages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)

    replies = [Message.objects.get(in_reply_to=message).content for message in messages]
    assert sorted(replies) == sorted(["OK"] * 3 + [FALLBACK_TEXT] * 5)
    assert len(fake_llm.requests) == 3
    row = spend(GLOBAL_SCOPE)
    assert (row.spent, row.reserved, row.calls) == (3 * CALL, 0, 3)
