"""LLM failures are logged as what they are (issue 15, "Honest logs"): a refused connection, a
dropped one, a timeout and each HTTP error by its own name, with the retry policy unchanged and the
user answered with the fallback text. No log line at INFO or above carries the key or the prompt."""

import logging
import socket
import threading

import pytest

from messaging.enums import ReplyState
from orchestrator.llm import _litellm
from orchestrator.llm_errors import classify_error
from orchestrator.services.turns import FALLBACK_TEXT, ai_reply_process
from orchestrator.tests.helpers import send_to_bot

pytestmark = pytest.mark.django_db

API_KEY = "sk-honest-logs-secret-key"
PROMPT = "my neighbour's flat number is 42B"


@pytest.fixture
def llm_settings(settings):
    settings.LITELLM_API_KEY = API_KEY
    settings.LITELLM_MODEL = "gpt-3.5-turbo-1106"
    settings.AI_LLM_RETRIES = 2
    settings.AI_LLM_RETRY_BACKOFF_S = 0
    return settings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _turn(user) -> tuple[str, str]:
    """One AI turn; returns the reply text and the message's reply state afterwards."""
    message = send_to_bot(user, PROMPT)
    reply = ai_reply_process(message_id=message.pk)
    message.refresh_from_db()
    return reply.content, message.reply_state


def _warnings(log) -> list[str]:
    return [r.getMessage() for r in log.records if r.levelno == logging.WARNING]


def _turn_failure(log) -> str:
    lines = [line for line in _warnings(log) if line.startswith("AI turn of user")]
    assert len(lines) == 1, _warnings(log)
    return lines[0]


def _assert_no_secrets(log) -> None:
    for record in log.records:
        if record.levelno >= logging.INFO:
            text = record.getMessage() + (record.exc_text or "")
            assert API_KEY not in text and PROMPT not in text and "42B" not in text, text


# --- no HTTP response ----------------------------------------------------------------------------


def test_a_refused_connection_is_logged_as_refused_not_as_http_500(user, llm_settings, orchestrator_log):
    llm_settings.LITELLM_BASEURL = f"http://127.0.0.1:{_free_port()}/v1"  # nobody listens there

    assert _turn(user) == (FALLBACK_TEXT, ReplyState.FAILED)

    failure = _turn_failure(orchestrator_log)
    assert failure.endswith(": llm connection_refused (ConnectionRefusedError)"), failure
    retries = [line for line in _warnings(orchestrator_log) if line.startswith("LLM call failed")]
    assert retries == [  # transient: retried as before
        "LLM call failed: connection_refused (ConnectionRefusedError); retry 1 of 2",
        "LLM call failed: connection_refused (ConnectionRefusedError); retry 2 of 2",
    ]
    assert not any("HTTP" in line for line in _warnings(orchestrator_log))
    _assert_no_secrets(orchestrator_log)


@pytest.fixture
def hang_up_server():
    """A loopback server that accepts each connection and closes it before any response."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            accepted.append(connection)
            connection.recv(65536)
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    host, port = listener.getsockname()
    yield f"http://{host}:{port}/v1", accepted
    listener.close()
    thread.join(timeout=2)


def test_a_connection_dropped_without_a_response_is_a_connection_error(
    user, llm_settings, orchestrator_log, hang_up_server
):
    url, accepted = hang_up_server
    llm_settings.LITELLM_BASEURL = url

    assert _turn(user) == (FALLBACK_TEXT, ReplyState.FAILED)

    failure = _turn_failure(orchestrator_log)
    assert ": llm connection_error (" in failure and "HTTP" not in failure, failure
    assert len(accepted) == 3  # transient: retried twice
    _assert_no_secrets(orchestrator_log)


def test_a_timeout_is_logged_as_a_timeout(user, fake_llm, llm_settings, orchestrator_log):
    llm_settings.LITELLM_API_KEY = API_KEY
    llm_settings.AI_LLM_TIMEOUT_S = 0.2
    llm_settings.AI_LLM_RETRIES = 1
    fake_llm.reply("too late", delay=1.0).reply("too late", delay=1.0)

    assert _turn(user) == (FALLBACK_TEXT, ReplyState.FAILED)

    assert _turn_failure(orchestrator_log).endswith(": llm timeout (ReadTimeout)")
    assert "LLM call failed: timeout (ReadTimeout); retry 1 of 1" in _warnings(orchestrator_log)
    assert len(fake_llm.requests) == 2  # transient: retried
    _assert_no_secrets(orchestrator_log)


# --- HTTP error responses ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "summary", "requests"),
    [
        (500, "http_error (HTTP 500)", 3),
        (502, "http_error (HTTP 502)", 3),
        (503, "http_error (HTTP 503)", 3),
        (504, "http_error (HTTP 504)", 3),  # a gateway's timeout is a response, litellm's Timeout or not
        (429, "rate_limited (HTTP 429)", 3),
        (400, "bad_request (HTTP 400)", 1),
        (401, "auth_error (HTTP 401)", 1),
        (403, "permission_denied (HTTP 403)", 1),
        (404, "not_found (HTTP 404)", 1),
    ],
)
def test_http_errors_are_logged_by_name_and_status(
    user, fake_llm, llm_settings, orchestrator_log, status, summary, requests
):
    llm_settings.LITELLM_API_KEY = API_KEY
    for _ in range(3):
        fake_llm.error(status, {"error": {"message": f"SERVER-BODY {PROMPT}", "type": "boom"}})

    assert _turn(user) == (FALLBACK_TEXT, ReplyState.FAILED)

    assert _turn_failure(orchestrator_log).endswith(f": llm {summary}")
    assert len(fake_llm.requests) == requests  # 5xx and 429 retried twice; other 4xx not at all
    assert not any("SERVER-BODY" in line for line in _warnings(orchestrator_log))
    _assert_no_secrets(orchestrator_log)


def test_a_malformed_body_is_a_bad_response_and_not_retried(user, fake_llm, llm_settings, orchestrator_log):
    llm_settings.LITELLM_API_KEY = API_KEY
    for _ in range(3):
        fake_llm.malformed()

    assert _turn(user) == (FALLBACK_TEXT, ReplyState.FAILED)

    assert _turn_failure(orchestrator_log).endswith(": llm bad_response (JSONDecodeError)")
    assert len(fake_llm.requests) == 1


def test_a_transient_error_then_a_reply_answers_the_user(user, fake_llm, llm_settings, orchestrator_log):
    fake_llm.error(429).error(503).reply("recovered")

    assert _turn(user) == ("recovered", ReplyState.DONE)

    assert [line for line in _warnings(orchestrator_log) if line.startswith("LLM call failed")] == [
        "LLM call failed: rate_limited (HTTP 429); retry 1 of 2",
        "LLM call failed: http_error (HTTP 503); retry 2 of 2",
    ]


# --- the classification itself, for errors a loopback server cannot produce ----------------------


def _chained(exc: BaseException, cause: BaseException) -> BaseException:
    try:
        raise exc from cause
    except BaseException as caught:
        return caught


def _litellm_error(name: str, message: str = "x"):
    cls = getattr(_litellm().exceptions, name)
    return cls(message=message, llm_provider="hosted_vllm", model="m")


# Built inside the test: litellm loads lazily, never while tests are collected.
CASES = {
    # litellm's message is all that is left: its class and status 500 say nothing of a response
    "refused, message only": (
        lambda: _litellm_error("InternalServerError", "[Errno 111] Connection refused"),
        "connection_refused (InternalServerError)",
        True,
    ),
    "reset": (
        lambda: _chained(_litellm_error("InternalServerError"), ConnectionResetError(104, "reset")),
        "connection_error (ConnectionResetError)",
        True,
    ),
    "dns": (
        lambda: _chained(_litellm_error("InternalServerError"), socket.gaierror(-2, "no such name")),
        "connection_error (gaierror)",
        True,
    ),
    "litellm connection error": (
        lambda: _litellm_error("APIConnectionError", "Connection error."),
        "connection_error (APIConnectionError)",
        True,
    ),
    "litellm timeout": (lambda: _litellm_error("Timeout", "Request timed out"), "timeout (Timeout)", True),
    "status only": (lambda: _litellm_error("InternalServerError", "it broke"), "http_error (HTTP 500)", True),
    "bad request": (lambda: _litellm_error("BadRequestError", "bad"), "bad_request (HTTP 400)", False),
    "unknown": (lambda: RuntimeError("unexpected"), "api_error (RuntimeError)", False),
}


@pytest.mark.parametrize("case", CASES)
def test_classify(case):
    build, summary, transient = CASES[case]
    error = classify_error(build(), _litellm())
    assert (error.summary, error.transient) == (summary, transient)
