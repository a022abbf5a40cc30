"""What the loopback stand-ins (LLM, Twilio) share: their HTTP server."""

import sys
from http.server import ThreadingHTTPServer


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the default backlog (5) drops bursts of connects under load
    allow_reuse_address = True

    def handle_error(self, request, client_address) -> None:
        # A client that timed out hangs up before the (delayed) answer: expected, keep output quiet.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)
