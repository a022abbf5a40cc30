"""What the loopback stand-ins (LLM, Twilio) share: their HTTP server and the base of its handler."""

import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


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
