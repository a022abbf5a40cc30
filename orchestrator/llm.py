"""The one module that talks to an LLM: litellm is imported here only, lazily.

Effective settings come from `llm_settings()` alone: the `AIConfig` row supplies key, model,
temperature and system prompt where it sets them, the environment the rest.
Retries are done here rather than with litellm's `num_retries`: litellm's retry wrapper needs the
optional `tenacity` package and knows nothing of the turn's deadline, whereas this loop makes at most
`1 + AI_LLM_RETRIES` requests and never sleeps or waits past the deadline it is given.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from core.logging import LITELLM_LOGGERS
from orchestrator.llm_errors import LLMError, LLMTimeout, classify_error
from orchestrator.model_names import model_name_problem

logger = logging.getLogger("orchestrator")

PLACEHOLDER_API_KEY = "sk-local-placeholder"  # local OpenAI-compatible servers want some key
MIN_CALL_TIMEOUT_S = 0.05
COMPATIBLE_SERVER_ROUTE = "hosted_vllm"  # litellm's route for any self-hosted OpenAI-compatible server
# The rates of litellm's model map that price a chat call; all 0 marks a model free (_routed_model_known).
FREE_RATES = ("input_cost_per_token", "output_cost_per_token", "cache_creation_input_token_cost",
              "cache_read_input_token_cost")  # fmt: skip

# Keep litellm off the network at import: use the bundled model cost map. Set once, here, before
# anything can import litellm (this module is its only importer): the process environment is shared
# by the AI worker's threads, so it is never written per call.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


@dataclass(frozen=True)
class LLMSettings:
    api_key: str = field(repr=False)  # a secret: never in a log line or a traceback
    model: str
    base_url: str
    temperature: float | None
    timeout: float
    retries: int
    retry_backoff: float
    system_prompt: str = ""  # replaces the general agent's prompt when non-empty (AIConfig)

    @property
    def configured(self) -> bool:
        return bool(self.api_key or self.base_url)

    @property
    def litellm_model(self) -> str:
        # A bare model name with a base URL means "an OpenAI-compatible server at that URL". litellm
        # reaches such servers through its own HTTP client under the `hosted_vllm/` route; the
        # `openai/` route goes through the OpenAI SDK, whose request building costs twice the CPU
        # per call (docs/PERFORMANCE.md). A name with a prefix is the operator's choice, kept as is.
        if self.base_url and "/" not in self.model:
            return f"{COMPATIBLE_SERVER_ROUTE}/{self.model}"
        return self.model


def llm_settings() -> LLMSettings:
    """The effective LLM settings: the AIConfig row's key, model, temperature and system prompt where
    it sets them, else the environment's (through Django settings); the base URL is the environment's
    only. Runs once per turn: the row comes from a short per-process cache (orchestrator.selectors)."""
    from orchestrator.selectors import ai_config_overrides_get  # models load only after app setup

    row = ai_config_overrides_get()
    return LLMSettings(
        api_key=row.api_key or settings.LITELLM_API_KEY,
        model=row.model or settings.LITELLM_MODEL,
        base_url=settings.LITELLM_BASEURL,
        temperature=settings.AI_LLM_TEMPERATURE if row.temperature is None else row.temperature,
        system_prompt=row.system_prompt,
        timeout=float(settings.AI_LLM_TIMEOUT_S),
        retries=max(0, int(settings.AI_LLM_RETRIES)),
        retry_backoff=max(0.0, float(settings.AI_LLM_RETRY_BACKOFF_S)),
    )


def llm_configured() -> bool:
    return llm_settings().configured


def map_cost(*, model: str, prompt_tokens: int, completion_tokens: int) -> tuple[float, float] | None:
    """(input, output) cost in USD of a call to `model` by litellm's local price map, or None when
    the map does not price that name (orchestrator.pricing decides what that means)."""
    if not _mapped(model):
        return None
    return _litellm().cost_per_token(model=model, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)


_REGISTERING = threading.Lock()


@functools.lru_cache(maxsize=64)
def _routed_model_known(model: str) -> None:
    """Name a self-hosted model we route (`hosted_vllm/<name>`) in litellm's model map, once per name
    and process. litellm prices every response itself (`_hidden_params["response_cost"]`, which the
    project never reads: orchestrator.pricing prices calls by the configured name); for a name its map
    lacks, that lookup tries every generalisation of the name, 11 model-info lookups per completion,
    10-25 % of litellm's CPU per call (docs/PERFORMANCE.md). Every rate is 0, litellm's way to mark a
    model free (with a rate missing it warns on every call); only the routed name is entered, so the
    configured name the project prices by stays as litellm's map has it. The AI worker enters its
    configured model at startup (`preload`), before its threads share litellm's map; a name an
    AIConfig row sets later is entered by its first call, one at a time."""
    litellm = _litellm()
    with _REGISTERING:
        if model in litellm.model_cost or _mapped(model):
            return
        free = dict.fromkeys(FREE_RATES, 0.0)
        litellm.register_model({model: {"litellm_provider": COMPATIBLE_SERVER_ROUTE, "mode": "chat", **free}})


@functools.lru_cache(maxsize=64)
def _mapped(model: str) -> bool:
    # An unmapped name makes litellm raise (and work out why): once per name and process is enough.
    try:
        _litellm().cost_per_token(model=model, prompt_tokens=1, completion_tokens=1)
    except Exception:  # litellm raises its own classes for "not mapped" and "no provider"
        return False
    return True


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # raw JSON text as the model sent it; the tool registry validates it


@dataclass(frozen=True)
class LLMReply:
    text: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0


def preload() -> None:
    """Load litellm now rather than in the first turn: the import (~2 s) and what it loads lazily
    on its first completion (~0.6 s more: tokenizer, provider and tool modules), through one offline
    call (`mock_response`). The AI worker calls this at startup, before freezing what it loaded."""
    litellm = _litellm()
    tool = {"type": "function", "function": {"name": "preload", "parameters": {"type": "object", "properties": {}}}}
    litellm.completion(
        model=f"{COMPATIBLE_SERVER_ROUTE}/preload",
        messages=[{"role": "user", "content": "preload"}],
        tools=[tool],
        mock_response="preloaded",
    )
    config = llm_settings()
    if config.litellm_model != config.model:  # before the worker's threads call: see _routed_model_known
        _routed_model_known(config.litellm_model)


@functools.cache
def _litellm():
    import litellm  # lazily: ~2 s, paid only by processes that make a call (or preload)

    _litellm_logs_through_ours()
    litellm.suppress_debug_info = True  # no "Give Feedback" banners on stdout; errors are logged here
    return litellm


@functools.cache
def _litellm_logs_through_ours() -> None:
    """litellm gives its loggers a console handler of its own at import, while their records also
    propagate to the project's LOGGING (which names no handler for them): each warning was printed
    twice. Once per process, after the import, its handlers come off; its redaction of keys is a
    filter on the loggers themselves and stays."""
    for name in LITELLM_LOGGERS:
        litellm_logger = logging.getLogger(name)
        for handler in litellm_logger.handlers[:]:
            litellm_logger.removeHandler(handler)


def _to_reply(response: Any, fallback_model: str) -> LLMReply:
    try:
        message = response.choices[0].message
    except (AttributeError, IndexError, TypeError) as exc:
        raise LLMError("bad_response", "no choices") from exc
    calls: list[ToolCall] = []
    for call in getattr(message, "tool_calls", None) or []:
        function = getattr(call, "function", None)
        name = getattr(function, "name", None) or ""
        arguments = getattr(function, "arguments", None)
        if not isinstance(arguments, str):
            arguments = "{}" if arguments is None else str(arguments)
        calls.append(ToolCall(id=str(getattr(call, "id", "") or f"call_{len(calls)}"), name=name, arguments=arguments))
    usage = getattr(response, "usage", None)
    return LLMReply(
        text=getattr(message, "content", None) or "",
        tool_calls=calls,
        model=str(getattr(response, "model", "") or fallback_model),
        prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
    )


def _input_capped(messages: list[dict]) -> list[dict]:
    """The user's turns cut to AI_INPUT_MAX_CHARS (issue 23): one huge inbound message must not
    make a huge prompt. The stored message keeps all of it; the log says what was cut."""
    cap = settings.AI_INPUT_MAX_CHARS
    if cap <= 0 or not any(_too_long(message, cap) for message in messages):
        return messages
    capped = []
    for message in messages:
        if _too_long(message, cap):
            logger.warning("LLM input: a user message of %s characters cut to %s", len(message["content"]), cap)
            message = {**message, "content": message["content"][:cap]}
        capped.append(message)
    return capped


def _too_long(message: dict, cap: int) -> bool:
    content = message.get("content")
    return message.get("role") == "user" and isinstance(content, str) and len(content) > cap


def chat_completion(
    *,
    messages: list[dict],
    tools: list[dict] | None = None,
    timeout: float | None = None,
    deadline: float | None = None,
    config: LLMSettings | None = None,
    max_tokens: int | None = None,
) -> LLMReply:
    """One chat completion with bounded retries. `timeout` caps each request (default
    AI_LLM_TIMEOUT_S); `deadline` (a `time.monotonic()` value) caps the whole call, retries and
    backoff included; `max_tokens` caps the reply (a spend cap needs a ceiling). Raises `LLMError`
    (or `LLMTimeout`) on failure."""
    config = config or llm_settings()
    if not config.configured:
        raise LLMError("not_configured")
    if model_name_problem(config.model) is not None:
        # A row saved before names were checked, or LITELLM_MODEL itself: no request leaves with it.
        raise LLMError("model_refused", "not an allowed model name")
    litellm = _litellm()
    model = config.litellm_model
    if model != config.model:  # our route to a self-hosted server
        _routed_model_known(model)
    per_call = config.timeout if timeout is None else timeout
    kwargs: dict[str, Any] = {
        "model": model,
        "messages": _input_capped(messages),
        "api_key": config.api_key or PLACEHOLDER_API_KEY,
        "num_retries": 0,  # retries are ours (see the module docstring); 0 also stops the SDK's own
    }
    if config.base_url:
        kwargs["api_base"] = config.base_url
    if config.temperature is not None:
        kwargs["temperature"] = config.temperature
    if tools:
        kwargs["tools"] = tools
        kwargs["tool_choice"] = "auto"
    if max_tokens is not None:
        kwargs["max_tokens"] = max_tokens

    attempt = 0
    while True:
        call_timeout = per_call
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining < MIN_CALL_TIMEOUT_S:
                raise LLMTimeout("turn deadline reached")
            call_timeout = min(call_timeout, remaining)
        try:
            response = litellm.completion(timeout=call_timeout, **kwargs)
        except Exception as exc:  # litellm maps provider errors onto many classes
            error = classify_error(exc, litellm)
            if attempt >= config.retries or not error.transient:
                raise error from exc
            attempt += 1
            pause = config.retry_backoff * (2 ** (attempt - 1))
            if deadline is not None and time.monotonic() + pause + MIN_CALL_TIMEOUT_S >= deadline:
                raise error from exc
            logger.warning("LLM call failed: %s; retry %s of %s", error.summary, attempt, config.retries)
            if pause:
                time.sleep(pause)
            continue
        return _to_reply(response, fallback_model=config.model)


# --- embeddings (the knowledge base's semantic search) -----------------------------------------


def embedding_model(config: LLMSettings | None = None) -> str:
    """The configured embedding model, "" when none: the knowledge base then searches by keyword only."""
    config = config or llm_settings()
    return settings.EMBEDDING_MODEL if settings.EMBEDDING_MODEL and config.configured else ""


def embed(texts: list[str]) -> tuple[str, list[list[float]]]:
    """Embeddings of `texts` on the chat's provider settings (key, base URL) with EMBEDDING_MODEL:
    `(model name, one vector per text)`. The knowledge app calls this through its
    KNOWLEDGE_EMBEDDER setting (it sits below the orchestrator). Raises `LLMError`, like a chat call;
    at most 1 + AI_LLM_RETRIES requests for a transient error, without backoff (a search waits on it)."""
    config = llm_settings()
    model = embedding_model(config)
    if not model:
        raise LLMError("not_configured")
    if model_name_problem(model) is not None:
        raise LLMError("model_refused", "not an allowed model name")
    litellm = _litellm()
    # A bare name with a base URL: the compatible server's /embeddings through litellm's own HTTP
    # client, as for chat (the OpenAI SDK's route costs more CPU per call; docs/PERFORMANCE.md).
    routed = f"{COMPATIBLE_SERVER_ROUTE}/{model}" if config.base_url and "/" not in model else model
    kwargs: dict[str, Any] = {
        "model": routed,
        "input": texts,
        "api_key": config.api_key or PLACEHOLDER_API_KEY,
        "timeout": float(settings.EMBEDDING_TIMEOUT_S),
        "num_retries": 0,
    }
    if config.base_url:
        kwargs["api_base"] = config.base_url
    attempt = 0
    while True:
        try:
            response = litellm.embedding(**kwargs)
            break
        except Exception as exc:  # litellm maps provider errors onto many classes
            error = classify_error(exc, litellm)
            if attempt >= config.retries or not error.transient:
                raise error from exc
            attempt += 1
    try:
        rows = sorted(response.data, key=lambda row: row["index"])
        vectors = [[float(value) for value in row["embedding"]] for row in rows]
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise LLMError("bad_response", "no embeddings") from exc
    if len(vectors) != len(texts):
        raise LLMError("bad_response", "embedding count")
    return model, vectors
