"""What the loopback stand-ins (LLM, Twilio) share: their HTTP server and the base of its handler."""

import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the default backlog (5) drops bursts of connects under load
    allow_reuse_address = True

    def handle_error(self, request, client_address) -> None:
        # A client that timed out hangs up before the (delayed) answer: expected, keep output quiet.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class LoopbackHandler(BaseHTTPRequestHandler):
    """Keep-alive HTTP/1.1 without Nagle's delay (a small answer is not held back), and no access
    lines in the test output."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class LoopbackStandin:
    """A stand-in's lifecycle around its server: `start()` serves in a daemon thread, `url` is the
    base URL to give the client under test, `stop()` closes the port."""

    thread_name = "loopback-standin"

    def __init__(self, server: LoopbackServer) -> None:
        self._server = server
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._server.serve_forever, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread (a stand-in run as a process of its own)."""
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
