"""The one place that reads the process environment (and `.env` when present)."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
# git-ignored: the embedded database, cache and broker live here. Loading the settings creates no
# folder: core's AppConfig.ready() makes the ones the configured backends need.
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"), overwrite=False)


def first_set(*names: str) -> str | None:
    """The value of the first variable that is set and not blank (seed aliases come after)."""
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
    """Seed 2's reading of a switch (CONTRACT §4.8): None when unset or neither word list matches."""
    word = (value or "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None
