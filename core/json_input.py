"""Reading JSON that a client sent. Python's parser follows nesting by recursion, so a body nested
some thousand levels deep raises RecursionError, which no `except ValueError` catches: a 500.
Every reader of client JSON goes through here (the DRF parser of core.api.parsers too), so such a
body is an ordinary parse error (a ValueError) with a text that says what is wrong."""

from __future__ import annotations

import json
from typing import Any

TOO_DEEP = "JSON nested too deeply."


class JSONTooDeep(ValueError):
    def __init__(self) -> None:
        super().__init__(TOO_DEEP)


def json_loads(raw: str | bytes | bytearray, **kwargs: Any) -> Any:
    """`json.loads`, with too deep a nesting raised as JSONTooDeep (a ValueError)."""
    try:
        return json.loads(raw, **kwargs)
    except RecursionError:
        raise JSONTooDeep() from None
