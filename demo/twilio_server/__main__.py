"""A standalone stand-in for manual runs and benches: `python -m demo.twilio_server --port 8010`
prints the URL to set as TWILIO_API_BASE_URL, then the account SID and auth token."""

import argparse

from demo.twilio_server.server import FakeTwilioServer
from demo.twilio_server.wire import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN


def main() -> None:
    parser = argparse.ArgumentParser(description="Twilio-compatible fake Messages API")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--account-sid", default=DEFAULT_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=DEFAULT_AUTH_TOKEN)
    options = parser.parse_args()
    fake = FakeTwilioServer(options.account_sid, options.auth_token, port=options.port)
    fake.set_latency(options.latency)
    print(fake.url, fake.account_sid, fake.auth_token, flush=True)
    fake.serve_forever()


if __name__ == "__main__":
    main()
