"""The one place that reads the process environment (and `.env` when present, except in tests)."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
# git-ignored: the embedded database, cache and broker live here. Loading the settings creates no
# folder: core's AppConfig.ready() makes the ones the configured backends need.
VAR_DIR = BASE_DIR / "var"

TEST_SETTINGS = "config.settings.test"

env = environ.Env()


def dot_env_wanted() -> bool:
    """Whether `.env` is read. Never under the test settings: a developer's .env (a real token, an
    LLM, DEBUG logging) would change what the tests test. DJANGO_READ_DOT_ENV_FILE=false turns it
    off for any settings module (scripts/test.sh and conftest.py set it for the processes they start)."""
    if env.str("DJANGO_SETTINGS_MODULE", default="") == TEST_SETTINGS:
        return False
    return env.bool("DJANGO_READ_DOT_ENV_FILE", default=True)


if dot_env_wanted() and (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"), overwrite=False)


def first_set(*names: str) -> str | None:
    """The value of the first variable that is set and not blank (older names come after)."""
    for name in names:
        value = env.str(name, default="").strip()
        if value:
            return value
    return None


def str_alias(*names: str, default: str = "") -> str:
    value = first_set(*names)
    return default if value is None else value


def bool_alias(*names: str, default: bool = False) -> bool:
    value = first_set(*names)
    if value is None:
        return default
    return value.lower() in {"1", "true", "t", "yes", "y", "on"}


def int_alias(*names: str, default: int) -> int:
    value = first_set(*names)
    return default if value is None else int(value)


TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y"})
FALSE_WORDS = frozenset({"0", "false", "f", "no", "n"})


def optional_bool(value: str | None) -> bool | None:
    """A switch read as 1/true/t/yes/y or 0/false/f/no/n, any case: None when unset or neither word list matches."""
    word = (value or "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None
