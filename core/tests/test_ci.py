"""`.ci/run` (issue #2): the README's test command on both backends, where a missing server fails."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_ci_run_marks_the_environment_as_ci_before_running_the_tests():
    # conftest turns an unreachable PostgreSQL/Redis into a failure only when CI is set (§9.1 point 7):
    # without it, a CI machine whose Redis is down would pass with those tests silently skipped.
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    export = next(i for i, line in enumerate(lines) if re.match(r'^export CI="?\$\{CI:-\w+\}"?$', line))
    first_run = next(i for i, line in enumerate(lines) if "scripts/test.sh" in line)
    assert export < first_run
