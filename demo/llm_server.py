"""A scripted OpenAI-compatible chat-completions server on loopback (tests; demo mode with demo/model.py).

litellm reaches it over real HTTP through `api_base`, so tests exercise the same client code as
production. Each test queues the responses it wants (text replies, tool calls, HTTP errors,
malformed bodies); when the script runs dry the server answers with its `responder` (demo mode's
demo model, demo/model.py) or else with `default_reply`. Every request
body is recorded so a test can assert what the model was sent.

Each HTTP response is written with one `wfile.write` on a TCP_NODELAY socket: split writes cost
about 40 ms per call in delayed ACKs and would falsify latency figures.

    server = FakeLLMServer().start()
    server.reply("Hello!")
    server.tool_call("create_report", {"title": "Leak", "content": "Room 1"})
    server.error(500)
    ...
    server.requests[-1]["messages"]
    server.stop()
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import struct
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from demo.http import LoopbackHandler, LoopbackServer, LoopbackStandin

COMPLETION_PATHS = ("/chat/completions", "/v1/chat/completions")
EMBEDDING_PATHS = ("/embeddings", "/v1/embeddings")
DEFAULT_MODEL = "fake-model"
EMBEDDING_DIMENSIONS = 256
WORD = re.compile(r"\w+")
# Function words carry no meaning a real embedding model would match on: left out of the vectors.
_FUNCTION_WORDS_TEXT = (
    "a an and are as at be by can do does for from how i if in is it me my of on or so that the this to "
    "was we what when where which who why will with you your w z na jak co czy nie się jest"
)
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS_TEXT.split())


def hashed_embedding(text: str, dimensions: int = EMBEDDING_DIMENSIONS) -> list[float]:
    """A deterministic stand-in for a sentence embedding: each word, and its first five letters (so
    Polish inflections of one stem land together), hashed to a signed slot; unit length. Texts that
    share words point the same way, which is all the tests and the demo need from a model."""
    vector = [0.0] * dimensions
    for word in WORD.findall(text.lower()):
        if word in FUNCTION_WORDS:
            continue
        for feature, weight in ((word, 1.0), (f"stem:{word[:5]}", 0.5)):
            digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
            slot = int.from_bytes(digest[:4], "little") % dimensions
            vector[slot] += weight if digest[4] & 1 else -weight
    norm = math.sqrt(sum(value * value for value in vector)) or 1.0
    return [value / norm for value in vector]


@dataclass
class Step:
    """One scripted response."""

    status: int = 200
    body: dict | None = None
    raw: bytes | None = None  # sent verbatim instead of `body` (malformed responses)
    delay: float = 0.0


@dataclass
class FakeLLMState:
    script: deque[Step] = field(default_factory=deque)
    requests: list[dict] = field(default_factory=list)
    headers: list[dict] = field(default_factory=list)
    # (arrived, answered, last user message) per completion, wall-clock seconds: lets the benchmark
    # split a turn into before, inside and after the LLM call.
    timings: list[tuple[float, float, str]] = field(default_factory=list)
    # The bodies of `/embeddings` requests, apart from the chat completions in `requests`.
    embedding_requests: list[dict] = field(default_factory=list)
    embedding_error: int | None = None  # answer every embeddings request with this status
    default_reply: str = "OK"
    # Answers a request when the script is empty: its body ({"content": ..., "tool_calls": [...]}).
    responder: Callable[[dict], dict] | None = None
    latency: float = 0.0
    prompt_tokens: int = 11
    completion_tokens: int = 7
    lock: threading.Lock = field(default_factory=threading.Lock)


def _completion_body(
    *, model: str, content: str | None, tool_calls: list[dict] | None, prompt_tokens: int, completion_tokens: int
) -> dict:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": message, "finish_reason": "tool_calls" if tool_calls else "stop"},
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class _Handler(LoopbackHandler):
    server: _Server

    def _send(self, status: int, payload: bytes, content_type: str = "application/json") -> None:
        reason = self.responses.get(status, ("",))[0]
        head = (
            f"HTTP/1.1 {status} {reason}\r\n"
            f"Content-Type: {content_type}\r\n"
            f"Content-Length: {len(payload)}\r\n"
            "Connection: keep-alive\r\n"
            "\r\n"
        ).encode("latin-1")
        self.wfile.write(head + payload)  # one write: no delayed-ACK stall between head and body
        self.wfile.flush()

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/_timings":
            with self.server.state.lock:
                timings = list(self.server.state.timings)
            self._send(200, json.dumps(timings).encode())
            return
        if self.path.rstrip("/") in ("/models", "/v1/models"):
            self._send(200, json.dumps({"object": "list", "data": [{"id": DEFAULT_MODEL, "object": "model"}]}).encode())
            return
        self._send(404, b'{"error": {"message": "not found"}}')

    def do_POST(self) -> None:
        arrived = time.time()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0].rstrip("/")
        if path not in COMPLETION_PATHS and path not in EMBEDDING_PATHS:
            self._send(404, b'{"error": {"message": "not found"}}')
            return
        try:
            request = json.loads(raw or b"{}")
        except ValueError:
            self._send(400, b'{"error": {"message": "invalid JSON body"}}')
            return
        if path in EMBEDDING_PATHS:
            self._embeddings(request)
            return
        state = self.server.state
        with state.lock:
            state.requests.append(request)
            state.headers.append({key.lower(): value for key, value in self.headers.items()})
            step = state.script.popleft() if state.script else None
            latency, default_reply, responder = state.latency, state.default_reply, state.responder
            tokens = (state.prompt_tokens, state.completion_tokens)
        if step is None:
            step = Step(body=responder(request) if responder else {"content": default_reply})
        delay = step.delay or latency
        if delay:
            time.sleep(delay)
        if step.raw is not None:
            self._send(step.status, step.raw)
            return
        body = dict(step.body or {})
        if step.status != 200:
            error = body or {"error": {"message": f"fake error {step.status}", "type": "server_error"}}
            self._send(step.status, json.dumps(error).encode())
            return
        payload = _completion_body(
            model=body.get("model") or request.get("model") or DEFAULT_MODEL,
            content=body.get("content"),
            tool_calls=body.get("tool_calls"),
            prompt_tokens=body.get("prompt_tokens", tokens[0]),
            completion_tokens=body.get("completion_tokens", tokens[1]),
        )
        users = [m.get("content") for m in request.get("messages") or [] if m.get("role") == "user"]
        with state.lock:
            state.timings.append((arrived, time.time(), str(users[-1] if users else "")))
        self._send(200, json.dumps(payload, ensure_ascii=False).encode("utf-8"))

    def _embeddings(self, request: dict) -> None:
        """OpenAI's embeddings API over `hashed_embedding`; base64 when asked (the OpenAI SDK asks)."""
        state = self.server.state
        with state.lock:
            state.embedding_requests.append(request)
            failure = state.embedding_error
        if failure:
            self._send(failure, json.dumps({"error": {"message": f"fake error {failure}"}}).encode())
            return
        texts = request.get("input")
        texts = [texts] if isinstance(texts, str) else list(texts or [])
        data = []
        for index, text in enumerate(texts):
            vector = hashed_embedding(str(text))
            encoded: list[float] | str = vector
            if request.get("encoding_format") == "base64":
                encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        tokens = sum(len(WORD.findall(str(text))) for text in texts)
        body = {
            "object": "list",
            "data": data,
            "model": request.get("model") or DEFAULT_MODEL,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
        self._send(200, json.dumps(body).encode())


class _Server(LoopbackServer):
    state: FakeLLMState


class FakeLLMServer(LoopbackStandin):
    """Start with `.start()`; `url` is the base URL to give litellm (`LITELLM_BASEURL`)."""

    thread_name = "fake-llm"
    _server: _Server

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        server = _Server((host, port), _Handler)
        server.state = FakeLLMState()
        super().__init__(server)

    # --- lifecycle -------------------------------------------------------------------------
    @property
    def state(self) -> FakeLLMState:
        return self._server.state

    def reset(self) -> None:
        with self.state.lock:
            self.state.script.clear()
            self.state.requests.clear()
            self.state.timings.clear()
            self.state.headers.clear()
            self.state.embedding_requests.clear()
            self.state.embedding_error = None
            self.state.default_reply = "OK"
            self.state.latency = 0.0
            self.state.prompt_tokens, self.state.completion_tokens = 11, 7

    # --- script ----------------------------------------------------------------------------
    def _push(self, step: Step) -> FakeLLMServer:
        with self.state.lock:
            self.state.script.append(step)
        return self

    def reply(
        self,
        text: str | None,
        *,
        model: str | None = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        delay: float = 0.0,
    ) -> FakeLLMServer:
        body: dict[str, Any] = {"content": text}
        if model:
            body["model"] = model
        if prompt_tokens is not None:
            body["prompt_tokens"] = prompt_tokens
        if completion_tokens is not None:
            body["completion_tokens"] = completion_tokens
        return self._push(Step(body=body, delay=delay))

    def tool_calls(self, calls: list[tuple[str, dict | str]], *, content: str | None = None) -> FakeLLMServer:
        """One response asking for several tool calls; arguments may be a dict or a raw string."""
        encoded = [
            {
                "id": f"call_{uuid.uuid4().hex[:10]}",
                "type": "function",
                "function": {
                    "name": name,
                    "arguments": args if isinstance(args, str) else json.dumps(args, ensure_ascii=False),
                },
            }
            for name, args in calls
        ]
        return self._push(Step(body={"content": content, "tool_calls": encoded}))

    def tool_call(self, name: str, args: dict | str | None = None) -> FakeLLMServer:
        return self.tool_calls([(name, {} if args is None else args)])

    def error(self, status: int = 500, body: dict | None = None, *, delay: float = 0.0) -> FakeLLMServer:
        return self._push(Step(status=status, body=body, delay=delay))

    def malformed(self, raw: bytes = b'{"choices": [', status: int = 200) -> FakeLLMServer:
        return self._push(Step(status=status, raw=raw))

    def set_default_reply(self, text: str) -> None:
        with self.state.lock:
            self.state.default_reply = text

    def fail_embeddings(self, status: int | None) -> None:
        """Answer every embeddings request with `status` from now on (None: answer again)."""
        with self.state.lock:
            self.state.embedding_error = status

    @property
    def embedding_requests(self) -> list[dict]:
        with self.state.lock:
            return list(self.state.embedding_requests)

    def set_latency(self, seconds: float) -> None:
        with self.state.lock:
            self.state.latency = seconds

    # --- inspection ------------------------------------------------------------------------
    @property
    def requests(self) -> list[dict]:
        with self.state.lock:
            return list(self.state.requests)

    @property
    def headers(self) -> list[dict]:
        """Request headers, lower-cased names, one dict per request."""
        with self.state.lock:
            return list(self.state.headers)

    @property
    def pending(self) -> int:
        with self.state.lock:
            return len(self.state.script)


if __name__ == "__main__":  # a standalone stand-in for manual runs and the benchmark
    import argparse

    parser = argparse.ArgumentParser(description="Scripted OpenAI-compatible fake LLM")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--reply", default="OK")
    options = parser.parse_args()
    fake = FakeLLMServer(port=options.port)
    fake.set_latency(options.latency)
    fake.set_default_reply(options.reply)
    print(fake.url, flush=True)
    fake.serve_forever()
