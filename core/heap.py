"""Startup objects out of the garbage collector's sight (docs/PERFORMANCE.md).

A web or worker process keeps what it loads at startup (modules, settings, URL patterns, litellm and
its price tables) for its whole life. Python's cyclic collector still walks all of it on every full
collection: about 440,000 objects in the AI worker, a 70–330 ms pause holding the interpreter lock,
every few seconds under load, during which no turn in the process moves. `gc.freeze()` moves the
startup objects to a permanent generation; later collections walk only what came after.
"""

import gc


def freeze_startup_objects() -> None:
    """Call once a process has loaded what it keeps, before it starts serving."""
    gc.collect()  # garbage left by the imports is freed, not frozen
    gc.freeze()
    # A full collection runs only once the survivors since the last one reach a quarter of what
    # that one found alive, which counted the objects just frozen: a web process would pile up the
    # garbage cycles of ~1,000 requests (Django's and DRF's request objects form cycles, bodies and
    # headers included) before collecting them. Collect once more: the count is of what is left.
    gc.collect()
