"""The measuring loop the in-process step benches share (`bench/turn_steps.py`,
`bench/ai_turn_steps.py`): each step's CPU by the process's clock, its statements, the last run's
SQL, and one step's profile by CPU clock, from the end of the warm-up; on a PostgreSQL server on this
machine, its backends' CPU for the database the steps use, per round of steps."""

from __future__ import annotations

import cProfile
import pstats
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any


class Steps:
    def __init__(self, names: Sequence[str], *, profile: str | None = None) -> None:
        self.names = tuple(names)
        self.cpu: dict[str, list[float]] = {name: [] for name in self.names}
        self.statements = dict.fromkeys(self.names, 0)
        self.last_sql: dict[str, list[str]] = {}
        self.profiled = profile
        self.profile = cProfile.Profile(time.process_time)
        self.measuring = False
        self.backends: dict[int, float] = {}

    def warmed_up(self) -> None:
        """Forget the warm-up (lazy imports, the ORM's and the statements' caches): measure from here."""
        for name in self.names:
            self.cpu[name].clear()
            self.statements[name] = 0
        self.measuring = True
        self.backends = _backends_cpu()

    def timed(self, step: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        profiling = step == self.profiled and self.measuring
        with CaptureQueriesContext(connection) as queries:
            started = time.process_time()
            if profiling:
                self.profile.enable()
            out = call(*args, **kwargs)
            if profiling:
                self.profile.disable()
            self.cpu[step].append((time.process_time() - started) * 1000)
        self.statements[step] += len(queries.captured_queries)
        self.last_sql[step] = [query["sql"] for query in queries.captured_queries]
        return out

    def report(self, *, sql: bool = False) -> None:
        """Each step's CPU median and statements per call; with `sql` the last run's statements,
        step by step; the profiled step's profile."""
        backends = _backends_cpu()
        width = max(len(name) for name in self.names)
        for step in self.names:
            count = max(1, len(self.cpu[step]))
            print(f"{step:{width}s} CPU median {statistics.median(self.cpu[step] or [0]):5.2f} ms   "
                  f"statements {self.statements[step] / count:4.1f}   ({len(self.cpu[step])} calls)")  # fmt: skip
        if backends:  # this database's backends, whichever of the pool's connections ran the steps
            used = sum(seconds - self.backends.get(pid, 0.0) for pid, seconds in backends.items())
            rounds = max(1, len(self.cpu[self.names[0]]))
            print(f"PostgreSQL backends' CPU per round of steps: {used * 1000 / rounds:.2f} ms ({rounds} rounds)")
            from django.db import connection

            with connection.cursor() as cursor:  # what DB_PREPARE_THRESHOLD left prepared on this connection
                cursor.execute("SELECT count(*) FROM pg_prepared_statements")
                print(f"statements prepared on the connection: {cursor.fetchone()[0]}")
        if sql:
            for step, statements in self.last_sql.items():
                print(f"\n-- {step}: {len(statements)} statements")
                print("\n".join(f"{number}. {text[:400]}" for number, text in enumerate(statements, 1)))
        if self.profiled:
            pstats.Stats(self.profile).sort_stats("cumulative").print_stats(45)


def _backends_cpu() -> dict[int, float]:
    """CPU seconds so far of each local PostgreSQL backend of the database the steps use."""
    from ai_throughput import backends_cpu
    from django.db import connection

    return backends_cpu(connection.settings_dict["NAME"]) if connection.vendor == "postgresql" else {}
