"""`python -m demo --llm-port N --twilio-port M`: the demo model and the Twilio stand-in, until
stopped. `manage.py devserver --demo` starts it and points the other processes at it."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from demo.llm_server import FakeLLMServer
from demo.model import demo_completion
from demo.twilio_server import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN
from demo.twilio_standin import DemoTwilioServer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m demo", description="The demo model and Twilio stand-in")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--llm-port", type=int, default=0)
    parser.add_argument("--twilio-port", type=int, default=0)
    parser.add_argument("--account-sid", default=DEFAULT_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=DEFAULT_AUTH_TOKEN)
    options = parser.parse_args(argv)
    model = FakeLLMServer(host=options.host, port=options.llm_port)
    model.state.responder = demo_completion
    twilio = DemoTwilioServer(options.account_sid, options.auth_token, host=options.host, port=options.twilio_port)
    # The handlers come before the line that says it is ready: a SIGTERM right after it stops cleanly.
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    model.start()
    twilio.start()
    print(f"Demo model at {model.url}/v1, Twilio stand-in at {twilio.url}", flush=True)
    stopped.wait()
    model.stop()
    twilio.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
