"""A Twilio-compatible Messages API on loopback, for tests and demo mode (demo/twilio_standin.py).

The real twilio SDK reaches it over real HTTP once the client's API domain points at it
(`client.api.base_url = server.url`, or `twilio_client_for(server)` below), so tests exercise the
same client code as production. It speaks the part of api.twilio.com's 2010-04-01 REST API that
the Messages resource needs, with Twilio's JSON field names, paging envelope and error bodies:

    POST   /2010-04-01/Accounts/{AccountSid}/Messages.json         create  (201)
    GET    /2010-04-01/Accounts/{AccountSid}/Messages.json         list    (200, newest first)
    GET    /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json   fetch   (200 / 404)
    POST   /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json   update  (Body="" redacts, Status=canceled)
    DELETE /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json   delete  (204 / 404)
    GET    /2010-04-01/Accounts/{AccountSid}.json                  fetch_account

Every request needs HTTP basic auth: the account SID (or an API key SID added with
`add_api_key`) and its secret; anything else is a 401 with Twilio's code 20003. Messages live in
memory and stay in the status they were created with until a test moves them (`set_status`).

Faults are queued and each applies to the next request it matches (optionally only one method or
operation), in the order queued: `fail`, `accept_then_fail`, `timeout`, `drop`. When none matches,
the request is answered normally.

Each HTTP response is written with one `wfile.write` on a TCP_NODELAY socket: split writes cost
about 40 ms per call in delayed ACKs and would falsify latency figures.

    server = FakeTwilioServer().start()
    client = twilio_client_for(server, timeout=2)
    server.fail(429)                       # the next request is rate limited
    server.accept_then_fail(500, operation="create")
    client.messages.create(to="+15550000001", from_="+15550000002", body="Hi")
    server.created(to="+15550000001")      # the messages the API created
    server.requests[-1].form["Body"]
    server.stop()

Modules by subject: wire (the API's formats, rules and routes), records (faults, recorded requests,
stored messages), handler (HTTP in and out), messages (the resource), faults (the fault script),
server (FakeTwilioServer), client (the SDK pointed at a server), __main__ (the standalone CLI).
"""

from demo.twilio_server.client import twilio_client_for
from demo.twilio_server.handler import _Handler
from demo.twilio_server.records import FakeTwilioState, Fault, RecordedRequest
from demo.twilio_server.server import FakeTwilioServer
from demo.twilio_server.wire import (
    API_VERSION,
    DEFAULT_ACCOUNT_SID,
    DEFAULT_AUTH_TOKEN,
    OPERATIONS,
    SENT_STATUSES,
    error_body,
    new_sid,
    num_segments,
    rfc2822,
    valid_from,
    valid_to,
)

__all__ = [
    "API_VERSION",
    "DEFAULT_ACCOUNT_SID",
    "DEFAULT_AUTH_TOKEN",
    "OPERATIONS",
    "SENT_STATUSES",
    "FakeTwilioServer",
    "FakeTwilioState",
    "Fault",
    "RecordedRequest",
    "_Handler",
    "error_body",
    "new_sid",
    "num_segments",
    "rfc2822",
    "twilio_client_for",
    "valid_from",
    "valid_to",
]
