"""Startup objects are frozen out of the garbage collector's walks in every long-running process
(core.heap; docs/PERFORMANCE.md): gunicorn's workers when they load `config.wsgi`, Celery workers
when they are ready, and the AI worker only after it has loaded litellm."""

import gc
import importlib
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from celery.signals import worker_process_init, worker_ready

import config.celery  # noqa: F401 -- connects the worker signals


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


class _Consumer:
    """What `worker_ready` is sent with: the worker's consumer, which knows the queues it reads."""

    def __init__(self, *queues: str):
        self.app = SimpleNamespace(amqp=SimpleNamespace(queues=SimpleNamespace(consume_from=queues)))


@pytest.mark.parametrize(
    ("queues", "llm_url", "preloads"),
    [(("ai",), "http://127.0.0.1:9", True), (("ai",), "", False), (("default", "sends"), "http://127.0.0.1:9", False)],
)
def test_a_ready_worker_freezes_its_startup_objects(unfrozen, monkeypatch, settings, queues, llm_url, preloads):
    settings.LITELLM_BASEURL = llm_url
    settings.LITELLM_API_KEY = ""
    loaded = []
    monkeypatch.setattr("orchestrator.llm.preload", lambda: loaded.append(gc.get_freeze_count()))

    worker_ready.send(sender=_Consumer(*queues))

    assert gc.get_freeze_count() > 0
    # litellm is loaded before the freeze, so its objects are frozen too; other workers, and an AI
    # worker without an LLM (the chat engine answers), never load it
    assert loaded == ([0] if preloads else [])


def test_a_prefork_child_freezes_what_it_inherited(unfrozen):
    worker_process_init.send(sender=None)
    assert gc.get_freeze_count() > 0


def test_the_wsgi_module_loads_the_views_then_freezes(unfrozen):
    import config.wsgi

    importlib.reload(config.wsgi)
    assert gc.get_freeze_count() > 0
    assert callable(config.wsgi.application)


def test_a_failed_preload_is_logged_and_the_worker_still_freezes(unfrozen, monkeypatch, settings, caplog):
    settings.LITELLM_BASEURL = "http://127.0.0.1:9"

    def broken():
        raise ImportError("no litellm here")

    monkeypatch.setattr("orchestrator.llm.preload", broken)

    worker_ready.send(sender=_Consumer("ai"))

    assert gc.get_freeze_count() > 0
    assert "litellm could not be preloaded" in caplog.text


# A process after its start: many objects kept for good, then work whose objects live a while
# (requests in flight) and die in reference cycles, as Django's and DRF's request objects do.
_CYCLES_AFTER_FREEZE = r"""
import gc, sys
from core.heap import freeze_startup_objects

kept = [[None] for _ in range(400_000)]  # the startup objects (modules, settings, URL patterns)
freeze_startup_objects()

class Node:
    alive = 0
    def __init__(self):
        Node.alive += 1
        self.peer = self
        self.payload = [None] * 8
    def __del__(self):
        Node.alive -= 1

in_flight = []
for _ in range(300_000):
    in_flight.append(Node())
    if len(in_flight) > 500:  # a request ends: its objects are garbage, held only by their cycle
        in_flight.pop(0)
print(Node.alive)
"""


def test_garbage_cycles_of_finished_work_are_collected_after_the_freeze(tmp_path):
    root = Path(__file__).resolve().parents[2]
    script = tmp_path / "cycles.py"
    script.write_text(_CYCLES_AFTER_FREEZE)
    out = subprocess.run([sys.executable, str(script)], cwd=root, env={"PYTHONPATH": str(root)},
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    # The 500 in flight, plus the dead ones that reached the oldest generation since its last
    # collection (a few thousand). Were the frozen objects still counted as long-lived, no full
    # collection would run before 100,000 survivors: tens of thousands of dead cycles would pile up.
    assert int(out) < 15_000
