"""litellm's CPU per chat completion: the project's client (`orchestrator.llm.chat_completion`)
against the LLM stand-in (a separate process answering at once), no database. Prints the CPU median
per call (`time.process_time`) and, with `--profile`, the calls' profile by CPU clock
(docs/PERFORMANCE.md, "litellm's CPU per call").

    .venv/bin/python bench/llm_call.py --calls 300 [--profile] [--tools]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path

from ai_throughput import free_port, wait_for_http

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOOL = {
    "type": "function",
    "function": {
        "name": "get_my_reports",
        "description": "The user's reports.",
        "parameters": {"type": "object", "properties": {"status": {"type": "string"}}},
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=300, help="measured calls, after 20 of warm-up")
    parser.add_argument("--profile", action="store_true", help="print the calls' profile by CPU clock")
    parser.add_argument("--tools", action="store_true", help="offer one tool, as the agents do")
    options = parser.parse_args()

    port = free_port()
    standin = subprocess.Popen([sys.executable, "-m", "demo.llm_server", "--port", str(port), "--latency", "0"],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.update({"DJANGO_DEBUG": "false", "LOG_TO_FILES": "false", "LOG_LEVEL": "WARNING"})
    try:
        wait_for_http(port, "/v1/models", time.time() + 30)
        run(options, f"http://127.0.0.1:{port}")
    finally:
        standin.terminate()


def run(options: argparse.Namespace, base_url: str) -> None:
    import django

    django.setup()
    from orchestrator.llm import LLMSettings, chat_completion

    config = LLMSettings(api_key="bench-placeholder", model="bench-model", base_url=base_url, temperature=0.7,
                         timeout=30.0, retries=0, retry_backoff=0.0)  # fmt: skip
    messages = [
        {"role": "system", "content": "You are a helpful assistant of a messaging service."},
        {"role": "user", "content": "Hello, how are you today?"},
    ]
    tools = [TOOL] if options.tools else None
    profile = cProfile.Profile(time.process_time)
    cpu, own = [], []
    total = 0.0
    for index in range(options.calls + 20):
        measuring = index >= 20
        if index == 20:
            total = time.process_time()
        started, started_thread = time.process_time(), time.thread_time()
        if measuring and options.profile:
            profile.enable()
        reply = chat_completion(messages=messages, tools=tools, config=config)
        if measuring and options.profile:
            profile.disable()
        if measuring:
            cpu.append((time.process_time() - started) * 1000)
            own.append((time.thread_time() - started_thread) * 1000)
        assert reply.text and reply.prompt_tokens > 0, reply
    time.sleep(0.5)  # litellm's logging thread finishes the last calls' work
    total = (time.process_time() - total) * 1000 / options.calls
    # The process's clock counts litellm's logging thread too (its success handler runs there).
    print(f"chat_completion CPU median {statistics.median(cpu):5.2f} ms, of it the calling thread "
          f"{statistics.median(own):5.2f} ms; mean with the logging thread {total:5.2f} ms "
          f"({len(cpu)} calls)")  # fmt: skip
    if options.profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(60)


if __name__ == "__main__":
    main()
