"""The Twilio client reads the environment's proxy settings once, when it is built, and uses them
as `requests` would (CONTRACT §9.3): a send goes through HTTPS_PROXY unless NO_PROXY covers the host."""

import socket
import threading

import pytest

from twilio_channel.services.outbound import outbound_create
from twilio_channel.services.sending import outbound_deliver

pytestmark = pytest.mark.django_db


@pytest.fixture
def proxy(monkeypatch):
    """A loopback proxy that notes each request line (a CONNECT for HTTPS) and refuses it."""
    server = socket.create_server(("127.0.0.1", 0))
    seen: list[str] = []

    def serve() -> None:
        while True:
            try:
                peer, _ = server.accept()
            except OSError:
                return
            with peer:
                seen.append(peer.recv(4096).decode("latin-1").split("\r\n", 1)[0])
                peer.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    threading.Thread(target=serve, daemon=True).start()
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{server.getsockname()[1]}")
    yield seen
    server.close()


def test_a_send_goes_through_the_https_proxy_set_at_start(proxy, twilio_settings):
    twilio_settings.TWILIO_API_BASE_URL = "https://api.proxied.twilio.test"  # a new client: the environment read now
    message = outbound_create(to="+48123456789", body="Through the proxy")
    sent = outbound_deliver(message_id=message.pk, final_attempt=True)
    assert [line.rsplit(" ", 1)[0] for line in proxy] == ["CONNECT api.proxied.twilio.test:443"]
    assert sent is not None and sent.status == "failed"  # the proxy refused it


def test_no_proxy_covering_the_host_bypasses_it(proxy, twilio_settings, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.9")
    twilio_settings.TWILIO_API_BASE_URL = "https://127.0.0.9:9"  # nothing listens: refused at once
    twilio_settings.TWILIO_HTTP_TIMEOUT_S = 1
    message = outbound_create(to="+48123456789", body="Straight")
    sent = outbound_deliver(message_id=message.pk, final_attempt=True)
    assert proxy == []
    assert sent is not None and sent.status == "failed"
