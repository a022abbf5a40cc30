"""Sources under a reply built on the knowledge base. Web, API, WhatsApp and chat apps such as
Telegram keep the model's `[1]` markers and get a "Sources:" list of the cited documents' titles; an
SMS drops the markers and gets one line of titles that fits one SMS segment, so citing never costs
the reader an extra message part. The label follows the reply's language (Polish letters: Polish)."""

from __future__ import annotations

import re

from messaging.enums import Channel

MARKER = re.compile(r"\s?\[(\d{1,2})\]")
OWN_LIST = re.compile(r"\n\s*(?:Sources?|Źródła)\s*:.*\Z", re.IGNORECASE | re.DOTALL)
POLISH = re.compile(r"[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]")
GSM_PART = 153  # characters of one part of a multi-part GSM-7 SMS
UCS2_PART = 67  # the same with any character outside GSM-7


def _label(text: str) -> str:
    return "Źródła" if POLISH.search(text) else "Sources"


def _fit(line: str) -> str:
    limit = GSM_PART if line.isascii() else UCS2_PART
    return line if len(line) <= limit else line[: limit - 3].rstrip(" ;,") + "..."


def with_sources(text: str, sources: list[tuple[str, str]], channel: str) -> str:
    """`text` with its sources; `sources` are (title, source) in marker order. Unchanged without sources."""
    if not sources:
        return text
    text = OWN_LIST.sub("", text).rstrip()  # a list the model wrote itself would come twice
    cited = sorted({int(n) for n in MARKER.findall(text) if 1 <= int(n) <= len(sources)})
    numbers = cited or list(range(1, len(sources) + 1))
    label = _label(text)
    if channel == Channel.SMS:
        plain = MARKER.sub("", text).strip()
        titles = list(dict.fromkeys(sources[n - 1][0] for n in numbers))
        return f"{plain}\n{_fit(f'{label}: ' + '; '.join(titles))}"
    listing = "\n".join(f"[{n}] {sources[n - 1][0]}" for n in numbers)
    return f"{text}\n\n{label}:\n{listing}"
