"""Demo mode (issue 28 point 1): `devserver --demo` runs the demo model and the Twilio stand-in and
points every process at them; the assistant answers and uses its tools and SMS go end to end with
no account anywhere; production settings refuse it."""

import io
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from twilio.request_validator import RequestValidator

from accounts.tests.factories import UserFactory
from core.management.commands.devserver import DEMO_FROM_NUMBER, build_processes, demo_environment, free_port
from demo.llm_server import FakeLLMServer
from demo.model import HANDOFF_TEXT, NOTICE, demo_completion
from demo.twilio_standin import DemoTwilioServer
from messaging.enums import ConversationMode
from messaging.models import Conversation, Message
from reports.models import Report

ANN = "+48123456789"
BOOLEAN_SETTINGS = {"DEMO_MODE", "TWILIO_VALIDATE_SIGNATURE"}


@pytest.fixture(scope="module")
def demo_servers():
    """What `python -m demo` serves, in this process."""
    model = FakeLLMServer()
    model.state.responder = demo_completion
    twilio = DemoTwilioServer(callback_delay=0.05)
    model.start()
    twilio.start()
    yield model, twilio
    model.stop()
    twilio.stop()


def _port(url: str) -> int:
    return int(urllib.parse.urlsplit(url).port or 0)


@pytest.fixture
def demo_settings(settings, demo_servers):
    """The settings every process gets from devserver --demo's environment."""
    model, twilio = demo_servers
    twilio.reset()
    for name, value in demo_environment(llm_port=_port(model.url), twilio_port=_port(twilio.url)).items():
        setattr(settings, name, value.lower() == "true" if name in BOOLEAN_SETTINGS else value)
    settings.AI_LLM_RETRY_BACKOFF_S = 0
    return settings


# --- the process set and its environment ------------------------------------------------------


def test_demo_adds_the_stand_ins_process_and_points_every_process_at_it():
    with override_settings(AI_MESSAGE_HOST="127.0.0.1", AI_MESSAGE_PORT=9123, AI_MESSAGE_SSL=False):
        processes = build_processes(demo_ports=(7001, 7002))
        environ = demo_environment(llm_port=7001, twilio_port=7002)
    assert list(processes) == ["web", "worker", "worker_ai", "beat", "demo"]
    assert processes["demo"] == [sys.executable, "-m", "demo", "--llm-port", "7001", "--twilio-port", "7002"]
    assert "demo" not in build_processes()
    assert environ["DEMO_MODE"] == "true"  # other settings key their demo defaults on it
    assert environ["LITELLM_BASEURL"] == "http://127.0.0.1:7001/v1"
    assert environ["TWILIO_API_BASE_URL"] == "http://127.0.0.1:7002"
    assert environ["PUBLIC_BASE_URL"] == "http://127.0.0.1:9123"  # the stand-in's status callbacks come here
    assert environ["TWILIO_DEFAULT_FROM"] == DEMO_FROM_NUMBER
    assert environ["TWILIO_VALIDATE_SIGNATURE"] == "true"
    assert environ["LITELLM_MODEL"] and environ["TWILIO_ACCOUNT_SID"] and environ["TWILIO_AUTH_TOKEN"]


def test_devserver_demo_starts_the_five_processes_with_the_demo_environment(monkeypatch):
    from core.management.commands import devserver

    added: dict[str, tuple[str, dict]] = {}

    class Manager:
        returncode = 0

        def add_process(self, name, command, env, cwd):
            added[name] = (command, env)

        def loop(self):
            pass

    monkeypatch.setattr(devserver, "process_manager", lambda printer: Manager())
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "a-real-token-from-the-shell")
    banner = io.StringIO()
    with override_settings(
        DEBUG=True, SETTINGS_MODULE="config.settings.local", AI_MESSAGE_SSL=False, AI_MESSAGE_PORT=8765
    ):
        call_command("devserver", "--demo", stdout=banner)
    assert "Phone simulator (superusers): http://127.0.0.1:8765/?tab=simulator" in banner.getvalue()
    assert list(added) == ["web", "worker", "worker_ai", "beat", "demo"]
    ports = added["demo"][0].split()[-3::2]  # exec python -m demo --llm-port N --twilio-port M
    for _, env in added.values():
        assert env["DEMO_MODE"] == "true"
        assert env["LITELLM_BASEURL"] == f"http://127.0.0.1:{ports[0]}/v1"
        assert env["TWILIO_API_BASE_URL"] == f"http://127.0.0.1:{ports[1]}"
        assert env["TWILIO_AUTH_TOKEN"] != "a-real-token-from-the-shell"  # the shell's account is never used


@pytest.mark.parametrize(
    "overrides",
    [
        {"SETTINGS_MODULE": "config.settings.production", "DEBUG": True},
        {"SETTINGS_MODULE": "config.settings.local", "DEBUG": False},
    ],
)
def test_demo_mode_is_refused_with_production_settings(overrides):
    with override_settings(**overrides), pytest.raises(CommandError, match="refused with production settings"):
        call_command("devserver", "--demo")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DEMO_MODE": "true",
        "DJANGO_SECRET_KEY": "x" * 50,
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=django_settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "DEMO_MODE=true is refused with production settings" in result.stderr


@pytest.mark.timeout(60)
def test_python_m_demo_serves_the_model_and_stops_on_sigterm():
    llm_port, twilio_port = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "demo", "--llm-port", str(llm_port), "--twilio-port", str(twilio_port)],
        cwd=django_settings.BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert f"127.0.0.1:{llm_port}/v1" in process.stdout.readline()
        request = urllib.request.Request(
            f"http://127.0.0.1:{llm_port}/v1/chat/completions",
            data=b'{"messages": [{"role": "user", "content": "hello"}]}',
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert b"demo model" in response.read()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()


# --- the demo model, through litellm ------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_model_files_and_lists_reports_through_its_tools(demo_settings, auth_client, user):
    filed = auth_client.post("/messages/ai", {"content": "report: my router is broken"}, format="json")
    assert filed.status_code in (200, 201), filed.content
    report = Report.objects.get(reporter=user)
    assert (report.title, report.content) == ("my router is broken", "my router is broken")
    assert "Report created successfully" in filed.json()["content"]
    assert NOTICE in filed.json()["content"]  # it says it is a demo model

    listed = auth_client.post("/messages/ai", {"content": "show my reports"}, format="json")
    assert "Your Reports:" in listed.json()["content"]
    assert f"#{report.pk}" in listed.json()["content"] and "my router is broken" in listed.json()["content"]

    chat = auth_client.post("/messages/ai", {"content": "hello there"}, format="json")
    assert "demo model" in chat.json()["content"] and "You said: hello there" in chat.json()["content"]
    assert Report.objects.count() == 1

    handed = auth_client.post("/messages/ai", {"content": "I need a human please"}, format="json")
    assert HANDOFF_TEXT in handed.json()["content"]
    assert Conversation.objects.get(key=f"conv_-1_{user.pk}").mode == ConversationMode.HUMAN


def test_the_demo_model_uses_only_the_tools_it_is_offered():
    report = {"role": "user", "content": "Zgłoszenie: brak wody w pokoju 5"}
    offered = [{"type": "function", "function": {"name": "create_report"}}]
    [call] = demo_completion({"messages": [report], "tools": offered})["tool_calls"]
    assert call["function"]["name"] == "create_report"
    assert json.loads(call["function"]["arguments"])["title"] == "brak wody w pokoju 5"
    # A guest (an unknown number) has no report tools: the model says what it would do, in words.
    answer = demo_completion({"messages": [report]})
    assert "tool_calls" not in answer and NOTICE in answer["content"]


# --- end to end: an SMS in, the AI's reply out through the stand-in, its status back ------------


def _inbound(base_url: str, token: str, *, from_: str, body: str) -> int:
    url = base_url + "/twilio/inbound"
    form = {
        "From": from_,
        "To": DEMO_FROM_NUMBER,
        "Body": body,
        "MessageSid": "SM" + uuid.uuid4().hex,
        "SmsStatus": "received",
        "NumMedia": "0",
    }
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode(form).encode(),
        headers={"X-Twilio-Signature": RequestValidator(token).compute_signature(url, form)},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


@pytest.mark.django_db(transaction=True)
def test_an_sms_files_a_report_and_the_reply_is_captured_and_delivered(demo_settings, demo_servers, live_server):
    _, twilio = demo_servers
    demo_settings.PUBLIC_BASE_URL = live_server.url
    ann = UserFactory(username="ann", phone_number=ANN, phone_verified=True)

    assert _inbound(live_server.url, twilio.auth_token, from_=ANN, body="report: no water in room 5") == 200

    report = Report.objects.get(reporter=ann)
    assert report.title == "no water in room 5"
    [sent] = twilio.created(to=ANN)
    assert sent["from"] == DEMO_FROM_NUMBER and "Report created successfully" in sent["body"]
    reply = Message.objects.get(direction="outbound", to_number=ANN)
    deadline = time.monotonic() + 10
    # The stand-in's signed callbacks (it notes each answer once the server has given it).
    while (reply.status != "delivered" or len(twilio.callbacks) < 2) and time.monotonic() < deadline:
        time.sleep(0.05)
        reply.refresh_from_db()
    assert reply.status == "delivered"
    assert [status for _, _, status in twilio.callbacks] == [200, 200]


def test_the_stand_ins_callbacks_reach_a_self_signed_dev_server(tmp_path):
    """devserver with AI_MESSAGE_SSL serves a self-signed certificate on this machine."""
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(self.headers.get("X-Twilio-Signature", ""))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        standin = DemoTwilioServer()
        url = f"https://127.0.0.1:{server.server_address[1]}/twilio/status?mid=1"
        assert standin._post(url, {"MessageStatus": "sent"}) == 200
        assert received and received[0]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.django_db
def test_the_demo_model_answers_from_the_demo_corpus_with_a_citation(demo_settings, auth_client):
    from django.core.management import call_command

    call_command("knowledge_import", "--demo", stdout=io.StringIO())
    answer = auth_client.post("/messages/ai", {"content": "How do I connect WhatsApp?"}, format="json").json()
    assert (
        "From our documents:" in answer["content"]
        and "How do I connect SMS and WhatsApp to the server?" in answer["content"]
    )
    assert "\n\nSources:\n[1] " in answer["content"]

    unknown = auth_client.post("/messages/ai", {"content": "What is the capital of Australia?"}, format="json").json()
    assert "I don't know" in unknown["content"] and "Sources" not in unknown["content"]
