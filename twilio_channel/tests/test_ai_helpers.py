"""The AI helpers of the staff API (CONTRACT §3.1 T4, §3.2 T17–T19, §4.6): over HTTP, with the
loopback LLM server (litellm over real HTTP) and the loopback Twilio server (the real SDK)."""

import logging

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from inbox.services.contacts import contact_for, contact_opt_out
from messaging.enums import Channel, Direction
from messaging.models import Message
from orchestrator.models import AIConfig
from tests.helpers import capturing, client_for
from tests.processes import free_port
from twilio_channel.addresses import on_channel
from twilio_channel.services.ai_helpers import FALLBACK_PROMPT

pytestmark = pytest.mark.django_db

TARGET = "+48123456789"
TARGET_AS_ENTERED = "+48 123 456 789"
OURS = "+15550001111"  # TWILIO_DEFAULT_FROM of the twilio_settings fixture
OTHER = "+48999888777"
SECRET = "sk-override-secret-never-echoed-8c1f"
STORED_SECRET = "sk-stored-secret-never-echoed-77aa"
PROMPT = "Answer in one sentence."

NO_KEY = {"error": "No OpenAI key. Paste it in the form or save it in the configuration."}
NO_PARTICIPANT = {
    "error": "Provide the conversation partner's number in the AI configuration or in the 'participant' field."
}
NO_CONTENT = {"error": "OpenAI returned no reply content."}
REPLY_FIELDS = {"error": "Required fields: inbound_from and inbound_to."}


def thread_message(direction: str, body: str, *, number: str = TARGET, channel: str = Channel.SMS, **fields) -> Message:
    """A stored message of the phone thread with `number` (inbound: from it; outbound: to it)."""
    external, ours = on_channel(number, channel), on_channel(OURS, channel)
    inbound = direction == Direction.INBOUND
    return Message.objects.create(
        direction=direction,
        channel=channel,
        content=body,
        from_number=external if inbound else ours,
        to_number=ours if inbound else external,
        participant_number=number,
        status=fields.pop("status", "received" if inbound else "delivered"),
        **fields,
    )


def sent_messages(request: dict) -> list[tuple[str, str]]:
    return [(message["role"], message["content"]) for message in request["messages"]]


@pytest.fixture
def ai(fake_llm, fake_twilio, settings):
    """The LLM reached through its base URL with no key of the environment's, Twilio on loopback,
    and a configured target as an operator types it."""
    settings.LITELLM_API_KEY = ""
    AIConfig.objects.update_or_create(pk=1, defaults={"target_number": TARGET_AS_ENTERED, "system_prompt": PROMPT})
    return fake_llm


@pytest.fixture
def staff_user(db):
    return UserFactory(is_superuser=True)  # is_staff follows is_superuser (accounts.User.save)


@pytest.fixture
def staff(staff_user) -> APIClient:
    client = APIClient()
    client.force_login(staff_user)
    return client


# --- T4: POST /api/ai/test --------------------------------------------------------------------


def test_ai_test_answers_the_newest_inbound_message_without_sending_or_storing(staff, ai, fake_twilio):
    thread_message(Direction.INBOUND, "Hi")
    thread_message(Direction.OUTBOUND, "Hello! How can I help?")
    thread_message(Direction.OUTBOUND, "never arrived", status="failed")
    latest = thread_message(Direction.INBOUND, "What time do you open?")
    thread_message(Direction.INBOUND, "")  # newer, but empty: not the latest message
    thread_message(Direction.INBOUND, "another thread", number=OTHER)
    ai.reply("We open at nine.")
    stored = Message.objects.count()

    response = staff.post("/api/ai/test", {}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["participant"] == TARGET_AS_ENTERED
    assert body["participant_normalized"] == TARGET
    assert body["input"] == "What time do you open?"
    assert body["reply"] == "We open at nine."
    assert (body["model"], body["temperature"], body["history_limit"]) == ("gpt-3.5-turbo-1106", 0.7, 20)
    assert body["used_latest_message"] is True and body["fallback_used"] is False
    assert body["latest_message"]["id"] == latest.pk
    assert body["latest_message"]["body"] == "What time do you open?"
    # The message being answered is the latest user turn once, not also in the history (§4.6.2).
    assert sent_messages(ai.requests[0]) == [
        ("system", PROMPT),
        ("user", "Hi"),
        ("assistant", "Hello! How can I help?"),
        ("user", "What time do you open?"),
    ]
    assert ai.requests[0]["temperature"] == 0.7
    assert fake_twilio.requests == []
    assert Message.objects.count() == stored


def test_ai_test_uses_the_given_message_and_the_history_limit(staff, ai):
    thread_message(Direction.INBOUND, "first")
    thread_message(Direction.OUTBOUND, "second")
    thread_message(Direction.INBOUND, "third")
    ai.reply("Pong.")

    response = staff.post("/api/ai/test", {"message": "Ping?", "history_limit": 2}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["input"], body["reply"], body["history_limit"]) == ("Ping?", "Pong.", 2)
    assert body["used_latest_message"] is False and body["latest_message"] is None
    assert body["fallback_used"] is False
    assert sent_messages(ai.requests[0]) == [
        ("system", PROMPT),
        ("assistant", "second"),
        ("user", "third"),
        ("user", "Ping?"),
    ]


def test_ai_test_given_the_newest_inbound_text_does_not_send_it_twice(staff, ai):
    thread_message(Direction.OUTBOUND, "How can I help?")
    thread_message(Direction.INBOUND, "Is the shop open?")

    response = staff.post("/api/ai/test", {"message": "Is the shop open?"}, format="json")

    assert response.status_code == 200, response.content
    assert sent_messages(ai.requests[0])[1:] == [("assistant", "How can I help?"), ("user", "Is the shop open?")]


@pytest.mark.parametrize("use_latest", [False, "false", 0])
def test_ai_test_falls_back_to_the_test_prompt(staff, ai, use_latest):
    thread_message(Direction.INBOUND, "not used as input")
    ai.reply("Everything works.")

    response = staff.post("/api/ai/test", {"use_latest_message": use_latest}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["input"], body["fallback_used"], body["used_latest_message"]) == (FALLBACK_PROMPT, True, False)
    assert sent_messages(ai.requests[0])[-1] == ("user", FALLBACK_PROMPT)


def test_ai_test_falls_back_when_the_thread_has_no_inbound_text(staff, ai):
    response = staff.post("/api/ai/test", {}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["input"], body["fallback_used"], body["latest_message"]) == (FALLBACK_PROMPT, True, None)
    assert sent_messages(ai.requests[0]) == [("system", PROMPT), ("user", FALLBACK_PROMPT)]


def test_ai_test_participant_overrides_the_target_and_matches_both_channels(staff, ai):
    thread_message(Direction.INBOUND, "over sms", number=OTHER)
    thread_message(Direction.INBOUND, "over whatsapp", number=OTHER, channel=Channel.WHATSAPP)
    thread_message(Direction.INBOUND, "the target's", number=TARGET)

    response = staff.post("/api/ai/test", {"participant": "whatsapp:+48 999-888-777"}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["participant"], body["participant_normalized"]) == ("whatsapp:+48 999-888-777", OTHER)
    assert body["input"] == "over whatsapp"
    assert sent_messages(ai.requests[0])[1:] == [("user", "over sms"), ("user", "over whatsapp")]


@pytest.mark.parametrize(("raw", "expected"), [(500, 200), (0, 1), ("7", 7), ("many", 20), (True, 20)])
def test_ai_test_clamps_the_history_limit(staff, ai, raw, expected):
    response = staff.post("/api/ai/test", {"history_limit": raw}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["history_limit"] == expected


def test_ai_test_uses_the_model_temperature_and_key_of_the_configuration(staff, ai):
    config = AIConfig.load()
    config.model, config.temperature, config.api_key = "llama-3-local", 0.2, STORED_SECRET
    config.save()

    response = staff.post("/api/ai/test", {"message": "hi"}, format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["model"], response.json()["temperature"]) == ("llama-3-local", 0.2)
    assert ai.requests[0]["model"] == "llama-3-local"
    assert ai.requests[0]["temperature"] == 0.2
    assert ai.headers[0]["authorization"] == f"Bearer {STORED_SECRET}"


def test_an_api_key_in_the_request_beats_the_stored_one_for_that_call_only(staff, ai):
    config = AIConfig.load()
    config.api_key = STORED_SECRET
    config.save()

    first = staff.post("/api/ai/test", {"message": "hi", "api_key": SECRET}, format="json")
    second = staff.post("/api/ai/test", {"message": "hi"}, format="json")

    assert (first.status_code, second.status_code) == (200, 200)
    assert [headers["authorization"] for headers in ai.headers] == [f"Bearer {SECRET}", f"Bearer {STORED_SECRET}"]
    assert AIConfig.load().api_key == STORED_SECRET


def test_ai_test_without_any_key_or_llm_server(staff, ai, settings):
    settings.LITELLM_BASEURL = ""

    response = staff.post("/api/ai/test", {"message": "hi"}, format="json")

    assert (response.status_code, response.json()) == (400, NO_KEY)
    assert ai.requests == []


def test_an_environment_key_counts_as_configured(staff, ai, settings):
    settings.LITELLM_API_KEY = "sk-env-key"

    response = staff.post("/api/ai/test", {"message": "hi"}, format="json")

    assert response.status_code == 200, response.content
    assert ai.headers[0]["authorization"] == "Bearer sk-env-key"


@pytest.mark.parametrize("participant", [None, "", "not a number", "client:alice"])
def test_ai_test_without_a_partner_number(staff, ai, participant):
    AIConfig.objects.filter(pk=1).update(target_number="", target_number_normalized="")
    data = {} if participant is None else {"participant": participant}

    response = staff.post("/api/ai/test", data, format="json")

    assert (response.status_code, response.json()) == (400, NO_PARTICIPANT)
    assert ai.requests == []


@pytest.mark.parametrize(
    ("status", "times", "kind"),
    [(401, 1, "auth_error (HTTP 401)"), (500, 3, "http_error (HTTP 500)"), (429, 3, "rate_limited (HTTP 429)")],
)
def test_ai_test_names_the_llm_failure_without_its_details(staff, ai, status, times, kind):
    for _ in range(times):  # a transient error is retried AI_LLM_RETRIES (2) times first
        ai.error(status, {"error": {"message": f"upstream said {SECRET}", "type": "x"}})

    response = staff.post("/api/ai/test", {"message": "hi"}, format="json")

    assert (response.status_code, response.json()) == (502, {"error": f"OpenAI request failed: {kind}"})
    assert len(ai.requests) == times


def test_ai_test_when_the_llm_is_unreachable(staff, ai, settings):
    settings.LITELLM_BASEURL = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings.AI_LLM_RETRIES = 0

    response = staff.post("/api/ai/test", {"message": "hi"}, format="json")

    assert response.status_code == 502
    assert response.json()["error"].startswith("OpenAI request failed: connection_refused")


@pytest.mark.parametrize("content", [None, "", "   "])
def test_ai_test_when_the_llm_returns_no_content(staff, ai, content):
    ai.reply(content)

    response = staff.post("/api/ai/test", {"message": "hi"}, format="json")

    assert (response.status_code, response.json()) == (502, NO_CONTENT)


def test_ai_test_refuses_a_non_boolean_use_latest_message(staff, ai):
    response = staff.post("/api/ai/test", {"use_latest_message": "maybe"}, format="json")

    assert (response.status_code, response.json()) == (400, {"error": "Field 'use_latest_message' must be a boolean."})


def test_ai_test_refuses_an_invalid_json_body(staff, ai):
    response = staff.post("/api/ai/test", data="{not json", content_type="application/json")

    assert (response.status_code, response.json()) == (400, {"error": "Request body must be a JSON object."})


# --- T17: GET /api/ai/conversation ------------------------------------------------------------


def test_ai_conversation_lists_the_newest_messages_of_the_target_oldest_first(staff, ai):
    first = thread_message(Direction.INBOUND, "one")
    second = thread_message(Direction.OUTBOUND, "two")
    third = thread_message(Direction.INBOUND, "three", channel=Channel.WHATSAPP)
    empty = thread_message(Direction.INBOUND, "")
    thread_message(Direction.INBOUND, "someone else", number=OTHER)

    everything = staff.get("/api/ai/conversation")
    newest_two = staff.get("/api/ai/conversation", {"limit": 2})

    assert everything.status_code == 200
    assert everything.json()["participant"] == TARGET
    assert [item["id"] for item in everything.json()["items"]] == [first.pk, second.pk, third.pk, empty.pk]
    assert everything.json()["items"][0]["body"] == "one"
    assert [item["id"] for item in newest_two.json()["items"]] == [third.pk, empty.pk]


def test_ai_conversation_for_a_given_participant(staff, ai):
    mine = thread_message(Direction.INBOUND, "hello", number=OTHER)

    response = staff.get("/api/ai/conversation", {"participant": "00 48 999 888 777", "limit": "x"})

    assert response.json()["participant"] == OTHER
    [item] = response.json()["items"]
    assert (item["id"], item["body"], item["direction"], item["from_number"]) == (mine.pk, "hello", "inbound", OTHER)


@pytest.mark.parametrize(("raw", "count"), [("0", 1), ("-5", 1), ("1000", 200), ("abc", 50)])
def test_ai_conversation_clamps_the_limit(staff, ai, raw, count):
    Message.objects.bulk_create(
        Message(direction=Direction.INBOUND, channel=Channel.SMS, content=f"m{n}", participant_number=TARGET)
        for n in range(205)
    )

    response = staff.get("/api/ai/conversation", {"limit": raw})

    assert len(response.json()["items"]) == count


@pytest.mark.parametrize("participant", ["", "nobody"])
def test_ai_conversation_when_nothing_normalises(staff, ai, participant):
    AIConfig.objects.filter(pk=1).update(target_number="", target_number_normalized="")
    thread_message(Direction.INBOUND, "hello")

    response = staff.get("/api/ai/conversation", {"participant": participant})

    assert (response.status_code, response.json()) == (200, {"participant": "", "items": []})


# --- T18: POST /api/ai/send -------------------------------------------------------------------


def test_ai_send_generates_and_sends_to_the_target(staff, staff_user, ai, fake_twilio):
    thread_message(Direction.OUTBOUND, "Your order is ready.")
    thread_message(Direction.INBOUND, "Can I pick it up today?")
    ai.reply("Yes, until 6 pm.")

    response = staff.post(
        "/api/ai/send", {"latest": "Can I pick it up today?", "history_limit": 5, "api_key": SECRET}, format="json"
    )

    assert response.status_code == 201, response.content
    [sent] = fake_twilio.created(to=TARGET)
    assert response.json() == {
        "to": TARGET_AS_ENTERED,
        "to_normalized": TARGET,
        "body": "Yes, until 6 pm.",
        "sid": sent["sid"],
        "status": sent["status"],
        "model": "gpt-3.5-turbo-1106",
        "temperature": 0.7,
        "history_limit": 5,
        "origin_number": OURS,
    }
    assert (sent["from"], sent["body"]) == (OURS, "Yes, until 6 pm.")
    assert sent_messages(ai.requests[0]) == [
        ("system", PROMPT),
        ("assistant", "Your order is ready."),
        ("user", "Can I pick it up today?"),
    ]
    row = Message.objects.get(external_id=sent["sid"])
    assert (row.direction, row.content, row.participant_number) == ("outbound", "Yes, until 6 pm.", TARGET)
    assert (row.sender_id, row.agent, row.model) == (staff_user.pk, "ai_helper", "gpt-3.5-turbo-1106")
    assert (row.prompt_tokens, row.completion_tokens) == (11, 7)


def test_ai_send_without_latest_answers_the_history(staff, ai, fake_twilio):
    thread_message(Direction.INBOUND, "Any news?")
    ai.reply("Not yet.")

    response = staff.post("/api/ai/send", {"participant": OTHER}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["to"] == OTHER
    assert sent_messages(ai.requests[0]) == [("system", PROMPT)]  # OTHER has no thread
    assert len(fake_twilio.created(to=OTHER)) == 1


def test_ai_send_with_nothing_to_answer_makes_no_llm_call(staff, ai, fake_twilio):
    AIConfig.objects.filter(pk=1).update(system_prompt="")

    response = staff.post("/api/ai/send", {}, format="json")

    assert (response.status_code, response.json()) == (502, NO_CONTENT)
    assert ai.requests == [] and fake_twilio.requests == []


def test_ai_send_that_twilio_is_too_busy_for_is_queued_202(staff, ai, fake_twilio):
    ai.reply("See you tomorrow.")
    fake_twilio.fail(429, operation="create")

    response = staff.post("/api/ai/send", {"latest": "bye"}, format="json")

    assert response.status_code == 202
    assert (response.json()["sid"], response.json()["status"]) == (None, "queued")
    row = Message.objects.get(direction=Direction.OUTBOUND, participant_number=TARGET)
    assert (row.status, row.content, row.twilio_sid) == ("queued", "See you tomorrow.", None)


def test_ai_send_keeps_a_failed_row_with_the_generated_text_when_twilio_fails(staff, ai, fake_twilio, caplog):
    ai.reply("See you tomorrow.")
    fake_twilio.fail(400, 21211, "Invalid 'To' Phone Number", operation="create")

    with capturing(caplog, "twilio_webhook"):
        response = staff.post("/api/ai/send", {"latest": "bye"}, format="json")

    assert (response.status_code, response.json()) == (502, {"error": "Twilio send failed"})
    row = Message.objects.get(direction=Direction.OUTBOUND, participant_number=TARGET)
    assert (row.status, row.content, row.error) == ("failed", "See you tomorrow.", "Error code: 21211 HTTP 400")
    assert "21211" in caplog.text


def test_ai_send_refuses_an_opted_out_recipient(staff, ai, fake_twilio):
    contact_opt_out(contact=contact_for(number=TARGET, channel=Channel.SMS), source="keyword")

    response = staff.post("/api/ai/send", {"latest": "hi"}, format="json")

    assert (response.status_code, response.json()) == (409, {"error": "Recipient has opted out."})
    assert fake_twilio.created() == []


def test_ai_send_refuses_a_closed_whatsapp_window(staff, ai, fake_twilio):
    response = staff.post("/api/ai/send", {"participant": f"whatsapp:{OTHER}", "latest": "hi"}, format="json")

    assert (response.status_code, response.json()) == (
        409,
        {"error": "WhatsApp 24-hour window closed; provide content_sid."},
    )


def test_ai_send_without_twilio_asks_no_llm(staff, ai, settings):
    settings.TWILIO_ACCOUNT_SID = ""

    response = staff.post("/api/ai/send", {"latest": "hi"}, format="json")

    assert (response.status_code, response.json()) == (503, {"error": "Twilio is not configured."})
    assert ai.requests == []


def test_ai_send_refusals_of_the_ai_side(staff, ai, settings, fake_twilio):
    ai.reply("")
    empty = staff.post("/api/ai/send", {"latest": "hi"}, format="json")
    ai.error(403)
    failed = staff.post("/api/ai/send", {"latest": "hi"}, format="json")
    AIConfig.objects.filter(pk=1).update(target_number="", target_number_normalized="")
    no_number = staff.post("/api/ai/send", {"latest": "hi"}, format="json")
    settings.LITELLM_BASEURL = ""
    no_key = staff.post("/api/ai/send", {"participant": TARGET, "latest": "hi"}, format="json")

    assert (empty.status_code, empty.json()) == (502, NO_CONTENT)
    assert (failed.status_code, failed.json()) == (
        502,
        {"error": "OpenAI request failed: permission_denied (HTTP 403)"},
    )
    assert (no_number.status_code, no_number.json()) == (400, NO_PARTICIPANT)
    assert (no_key.status_code, no_key.json()) == (400, NO_KEY)
    assert fake_twilio.requests == []
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()


# --- T19: POST /api/ai/reply ------------------------------------------------------------------


def test_ai_reply_answers_from_the_number_written_to(staff, ai, fake_twilio):
    thread_message(Direction.INBOUND, "Hello?")
    ai.reply("Hi! How can I help?")
    our_other_number = "+15550002222"

    response = staff.post(
        "/api/ai/reply",
        {"inbound_from": TARGET, "inbound_to": our_other_number, "latest": "Hello?", "history_limit": 3},
        format="json",
    )

    assert response.status_code == 201, response.content
    [sent] = fake_twilio.created(to=TARGET)
    assert response.json() == {
        "to": TARGET,
        "from": our_other_number,
        "body": "Hi! How can I help?",
        "sid": sent["sid"],
        "status": sent["status"],
        "model": "gpt-3.5-turbo-1106",
        "temperature": 0.7,
        "history_limit": 3,
    }
    assert sent["from"] == our_other_number
    assert sent_messages(ai.requests[0]) == [("system", PROMPT), ("user", "Hello?")]
    row = Message.objects.get(external_id=sent["sid"])
    assert (row.from_number, row.content, row.agent) == (our_other_number, "Hi! How can I help?", "ai_helper")


def test_ai_reply_on_whatsapp_keeps_the_channel(staff, ai, fake_twilio):
    contact = contact_for(number=OTHER, channel=Channel.WHATSAPP)
    contact.last_inbound_at = contact.updated_at  # the 24-hour window is open
    contact.save()
    thread_message(Direction.INBOUND, "hola", number=OTHER, channel=Channel.WHATSAPP)

    response = staff.post(
        "/api/ai/reply", {"inbound_from": f"whatsapp:{OTHER}", "inbound_to": f"whatsapp:{OURS}"}, format="json"
    )

    assert response.status_code == 201, response.content
    [sent] = fake_twilio.created()
    assert (sent["to"], sent["from"]) == (f"whatsapp:{OTHER}", f"whatsapp:{OURS}")


@pytest.mark.parametrize(
    "data", [{}, {"inbound_from": TARGET}, {"inbound_to": OURS}, {"inbound_from": " ", "inbound_to": OURS}]
)
def test_ai_reply_needs_both_numbers(staff, ai, data):
    response = staff.post("/api/ai/reply", data, format="json")

    assert (response.status_code, response.json()) == (400, REPLY_FIELDS)
    assert ai.requests == []


def test_ai_reply_refusals(staff, ai, settings, fake_twilio):
    numbers = {"inbound_from": TARGET, "inbound_to": OURS, "latest": "hi"}
    ai.error(400)
    failed = staff.post("/api/ai/reply", numbers, format="json")
    ai.reply("Hello there.")
    fake_twilio.fail(400, 21211, "Invalid 'To' Phone Number", operation="create")  # refused for good
    not_sent = staff.post("/api/ai/reply", numbers, format="json")
    settings.LITELLM_BASEURL = ""
    no_key = staff.post("/api/ai/reply", numbers, format="json")

    assert (failed.status_code, failed.json()) == (502, {"error": "OpenAI request failed: bad_request (HTTP 400)"})
    assert (not_sent.status_code, not_sent.json()) == (502, {"error": "Twilio send failed"})
    assert (no_key.status_code, no_key.json()) == (400, NO_KEY)
    [row] = Message.objects.filter(direction=Direction.OUTBOUND)
    assert (row.status, row.content) == ("failed", "Hello there.")


# --- the key is never echoed or logged --------------------------------------------------------


def test_the_api_key_never_appears_in_a_response_or_a_log_line(staff, ai, fake_twilio, caplog):
    config = AIConfig.load()
    config.api_key = STORED_SECRET
    config.save()
    ai.error(401, {"error": {"message": f"Incorrect API key provided: {SECRET}", "type": "invalid_request_error"}})
    fake_twilio.fail(400, 21211, "Invalid 'To' Phone Number", operation="create")
    calls = [
        ("/api/ai/test", {"message": "hi", "api_key": SECRET}),  # the LLM refuses the key
        ("/api/ai/test", {"message": "hi", "api_key": SECRET}),
        ("/api/ai/send", {"latest": "hi", "api_key": SECRET}),  # Twilio fails
        ("/api/ai/send", {"latest": "hi", "api_key": SECRET}),
        ("/api/ai/reply", {"inbound_from": TARGET, "inbound_to": OURS, "api_key": SECRET}),
        ("/api/ai/reply", {"inbound_from": TARGET, "inbound_to": OURS}),
    ]

    with capturing(caplog, "orchestrator", "twilio_webhook", "messages", "django", "LiteLLM", level=logging.DEBUG):
        responses = [staff.post(path, data, format="json") for path, data in calls]
        responses.append(staff.get("/api/ai/conversation"))

    assert [response.status_code for response in responses] == [502, 200, 502, 201, 201, 201, 200]
    assert ai.headers[0]["authorization"] == f"Bearer {SECRET}"  # the key did reach the LLM
    assert caplog.records  # the calls were logged
    for secret in (SECRET, STORED_SECRET):
        assert all(secret not in response.content.decode() for response in responses)
        assert secret not in caplog.text


# --- staff only -------------------------------------------------------------------------------

ROUTES = [
    ("post", "/api/ai/test", {"message": "hi"}, 200),
    ("get", "/api/ai/conversation", None, 200),
    ("post", "/api/ai/send", {"latest": "hi"}, 201),
    ("post", "/api/ai/reply", {"inbound_from": TARGET, "inbound_to": OURS, "latest": "hi"}, 201),
]


def _call(client: APIClient, method: str, path: str, data: dict | None):
    if method == "get":
        return client.get(path)
    return client.post(path, data, format="json")


@pytest.mark.parametrize(("method", "path", "data", "ok"), ROUTES)
def test_anonymous_callers_get_401(ai, fake_twilio, method, path, data, ok):
    response = _call(APIClient(), method, path, data)

    assert (response.status_code, response.json()) == (401, {"error": "Authentication required."})
    assert ai.requests == [] and fake_twilio.requests == []


@pytest.mark.parametrize(("method", "path", "data", "ok"), ROUTES)
def test_a_wrong_api_key_gets_401(ai, settings, method, path, data, ok):
    settings.APP_API_KEY = "the-real-app-key"
    client = APIClient()
    client.credentials(HTTP_X_API_KEY="a-guess")

    response = _call(client, method, path, data)

    assert (response.status_code, response.json()) == (401, {"error": "Authentication required."})


@pytest.mark.parametrize(("method", "path", "data", "ok"), ROUTES)
@pytest.mark.parametrize("how", ["session", "jwt"])
def test_callers_who_are_not_staff_get_403(ai, fake_twilio, method, path, data, ok, how):
    if how == "session":
        client = APIClient()
        client.force_login(UserFactory())
    else:
        client = client_for(UserFactory())

    response = _call(client, method, path, data)

    assert (response.status_code, response.json()) == (403, {"error": "Forbidden."})
    assert ai.requests == [] and fake_twilio.requests == []


@pytest.mark.parametrize(("method", "path", "data", "ok"), ROUTES)
@pytest.mark.parametrize("how", ["staff_session", "superuser_jwt", "api_key"])
def test_staff_callers_are_served(ai, fake_twilio, settings, method, path, data, ok, how):
    if how == "staff_session":
        client = APIClient()
        client.force_login(UserFactory(is_superuser=True))
    elif how == "superuser_jwt":
        client = client_for(UserFactory(is_superuser=True))
    else:
        settings.APP_API_KEY = "the-real-app-key"
        client = APIClient()
        client.credentials(HTTP_X_API_KEY="the-real-app-key")

    response = _call(client, method, path, data)

    assert response.status_code == ok, response.content


def test_a_staff_session_needs_the_csrf_token_to_send(ai, fake_twilio):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(UserFactory(is_superuser=True))

    response = client.post("/api/ai/send", {"latest": "hi"}, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]
    assert ai.requests == [] and fake_twilio.requests == []


def test_an_api_key_send_has_no_sender(ai, fake_twilio, settings):
    settings.APP_API_KEY = "the-real-app-key"
    client = APIClient()
    client.credentials(HTTP_X_API_KEY="the-real-app-key")

    response = client.post("/api/ai/send", {"latest": "hi"}, format="json")

    assert response.status_code == 201, response.content
    assert Message.objects.get(external_id=response.json()["sid"]).sender_id is None


def test_the_ai_helpers_are_in_the_openapi_schema(staff, settings):
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]

    assert set(paths["/api/ai/test"]["post"]["responses"]) >= {"200", "400", "502"}
    assert "201" in paths["/api/ai/send"]["post"]["responses"]
    assert "201" in paths["/api/ai/reply"]["post"]["responses"]
    assert "200" in paths["/api/ai/conversation"]["get"]["responses"]


def test_the_routes_answer_with_a_trailing_slash_too(staff, ai, fake_twilio):
    assert staff.post("/api/ai/test/", {"message": "hi"}, format="json").status_code == 200
    assert staff.get("/api/ai/conversation/").status_code == 200
    assert staff.post("/api/ai/send/", {"latest": "hi"}, format="json").status_code == 201
    reply = staff.post("/api/ai/reply/", {"inbound_from": TARGET, "inbound_to": OURS}, format="json")
    assert reply.status_code == 201


def test_ai_reply_sends_to_the_normalised_number(staff, ai, fake_twilio):
    response = staff.post("/api/ai/reply", {"inbound_from": TARGET_AS_ENTERED, "inbound_to": OURS}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["to"] == TARGET
    assert len(fake_twilio.created(to=TARGET)) == 1


def test_ai_reply_refuses_a_sender_that_is_no_number(staff, ai):
    response = staff.post("/api/ai/reply", {"inbound_from": "someone", "inbound_to": OURS}, format="json")

    assert (response.status_code, response.json()) == (
        400,
        {"error": "Field 'inbound_from' must be E.164 formatted (e.g. +48123456789)"},
    )
    assert ai.requests == []


def test_ai_test_and_conversation_write_nothing_without_a_config_row(staff, fake_llm, fake_twilio):
    AIConfig.objects.all().delete()

    tested = staff.post("/api/ai/test", {"participant": TARGET}, format="json")
    listed = staff.get("/api/ai/conversation")

    assert tested.status_code == 200, tested.content
    assert listed.json() == {"participant": "", "items": []}
    assert not AIConfig.objects.exists()


@pytest.mark.parametrize("path", ["/api/ai/send", "/api/ai/reply"])
def test_ai_sends_count_towards_the_per_recipient_limit(staff, ai, fake_twilio, settings, path):
    settings.TWILIO_SENDS_PER_RECIPIENT_PER_MINUTE = 1
    data = {"inbound_from": TARGET, "inbound_to": OURS, "latest": "hi"}

    first = staff.post(path, data, format="json")
    second = staff.post(path, data, format="json")

    assert first.status_code == 201, first.content
    assert (second.status_code, second.json()) == (
        429,
        {"error": "Too many messages to this recipient. Try again later."},
    )
    assert len(fake_twilio.created(to=TARGET)) == 1


def test_ai_reply_without_twilio_asks_no_llm(staff, ai, settings):
    settings.TWILIO_AUTH_TOKEN = ""

    response = staff.post("/api/ai/reply", {"inbound_from": TARGET, "inbound_to": OURS}, format="json")

    assert (response.status_code, response.json()) == (503, {"error": "Twilio is not configured."})
    assert ai.requests == []
