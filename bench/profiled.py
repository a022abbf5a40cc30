"""`python bench/profiled.py OUT_DIR -m module args...`: runs the module with every thread under
cProfile, timed by the thread's own CPU clock, so the stats show where a process's CPU goes
(waiting is not counted). Each thread writes OUT_DIR/<pid>-<thread id>.prof when it ends, the main
thread when the module returns or exits. bench/ai_throughput.py starts `worker_ai` through it when
BENCH_PROFILE_DIR is set; read the files with `pstats.Stats(*paths)`."""

import cProfile
import os
import runpy
import sys
import threading
import time

out_dir, flag, module, *args = sys.argv[1:]
assert flag == "-m", "usage: profiled.py OUT_DIR -m module args..."
os.makedirs(out_dir, exist_ok=True)
_run = threading.Thread.run


def _dump(profile: cProfile.Profile) -> None:
    profile.disable()
    profile.dump_stats(os.path.join(out_dir, f"{os.getpid()}-{threading.get_ident()}.prof"))


def _profiled_run(self: threading.Thread) -> None:
    profile = cProfile.Profile(time.thread_time)
    profile.enable()
    try:
        _run(self)
    finally:
        _dump(profile)


threading.Thread.run = _profiled_run  # type: ignore[method-assign]
sys.argv = [module, *args]
main = cProfile.Profile(time.thread_time)
main.enable()
try:
    runpy.run_module(module, run_name="__main__", alter_sys=True)
finally:
    _dump(main)
