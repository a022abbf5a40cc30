"""The framework floor of `bench/web_floor.py`: what a request costs under the web process's gunicorn
before any of our code runs. `raw_app` is a bare WSGI callable (gunicorn alone); `web_floor_settings`
serves `floor` through Django (`config.wsgi`) with no middleware or with the production stack;
`peer_app` is the issue's peer, the second seed app's inbound webhook without its framework."""

from __future__ import annotations

import os
import queue
import sqlite3
import time
from urllib.parse import parse_qs

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

BODY = b'{"status": "ok"}'


def raw_app(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length:
        environ["wsgi.input"].read(length)
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))])
    return [BODY]


PEER_DB = os.environ.get("BENCH_PEER_DB", "")  # set by bench/web_floor.py for the `peer` case
PEER_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
PEER_REPLIES: queue.Queue = queue.Queue()  # its auto-reply worker's in-memory queue; nothing drains it


def _peer_connection() -> sqlite3.Connection:
    connection = sqlite3.connect(PEER_DB, timeout=20)
    connection.execute(
        "CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, sid TEXT, from_number TEXT, to_number TEXT,"
        " body TEXT, direction TEXT, created_at REAL)"
    )
    connection.execute("CREATE TABLE IF NOT EXISTS auto_reply_config (id INTEGER PRIMARY KEY, enabled INTEGER)")
    connection.execute("INSERT OR IGNORE INTO auto_reply_config (id, enabled) VALUES (1, 1)")
    connection.commit()
    return connection


if PEER_DB:  # the tables exist before the first request, as the peer creates them at start
    _peer_connection().close()


def peer_app(environ, start_response):
    """What the second seed app's `/twilio/inbound` does with its signature check off (as in the
    issue's sitting): the form parsed, the message stored in SQLite by a connection of the request's
    own, the auto-reply switch read, the payload queued in memory, an empty TwiML answer. A lower
    bound of that Flask app's CPU on this machine: no Flask, no logging."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    form = {key: values[0] for key, values in parse_qs(environ["wsgi.input"].read(length).decode()).items()}
    connection = sqlite3.connect(PEER_DB, timeout=20)
    try:
        connection.execute(
            "INSERT INTO messages (sid, from_number, to_number, body, direction, created_at)"
            " VALUES (?, ?, ?, ?, 'inbound', ?)",
            (form.get("MessageSid"), form.get("From"), form.get("To"), form.get("Body", ""), time.time()),
        )
        enabled = connection.execute("SELECT enabled FROM auto_reply_config WHERE id = 1").fetchone()[0]
        connection.commit()
    finally:
        connection.close()
    if enabled:
        PEER_REPLIES.put(form)
    start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(PEER_TWIML)))])
    return [PEER_TWIML]


@csrf_exempt
def floor(request: HttpRequest) -> JsonResponse:
    """A webhook's minimum: the form parsed, a JSON answer."""
    return JsonResponse({"status": "ok", "fields": len(request.POST)})


urlpatterns = [path("floor", floor), path("health", floor)]
