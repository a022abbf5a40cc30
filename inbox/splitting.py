"""A message longer than its channel takes, as numbered parts (issue 23 point 4), for every channel
(each declares its limit in inbox.channels). Twilio refuses a body over 1,600 characters on SMS
(error 21617) and WhatsApp one over 4,096, Telegram one over 4,096, so a long AI reply used to fail
whole. Parts break at a paragraph, else a sentence, else a word; each starts with its number
("(2/3) "), counted within the limit. At most INBOX_MAX_PARTS parts: the text past them is cut and
the last part ends in "…"."""

from __future__ import annotations

import re

ELLIPSIS = "…"
_SENTENCE_END = re.compile(r"[.!?…。](?:[\"')\]]*)\s")
_SPACE = re.compile(r"\s")


def units(text: str) -> int:
    """Length as Twilio and Telegram count it: UTF-16 code units (an emoji outside the BMP is two)."""
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, room: int) -> str:
    """The longest prefix of `text` within `room` UTF-16 units."""
    head = text[:room]
    while (excess := units(head) - room) > 0:
        head = head[: len(head) - max(1, excess // 2)]  # a character is one or two units: never too short
    return head


def _break_at(head: str) -> int:
    """Where to end a part taken from `head`: the last paragraph break, sentence end or space in its
    second half; else all of it (one long word)."""
    half = len(head) // 2
    paragraph = head.rfind("\n\n")
    if paragraph >= half:
        return paragraph
    sentences = [match.end() for match in _SENTENCE_END.finditer(head) if match.end() >= half]
    if sentences:
        return sentences[-1]
    spaces = [match.start() for match in _SPACE.finditer(head, half)]
    return spaces[-1] if spaces else len(head)


def text_split(text: str, *, limit: int, max_parts: int) -> list[str]:
    """`text` as it is when it fits in `limit`, else numbered parts of at most `limit` each."""
    if units(text) <= limit:
        return [text]
    max_parts = max(1, max_parts)
    room = max(1, limit - len(f"({max_parts}/{max_parts}) "))  # the widest number, so every part fits
    chunks: list[str] = []
    rest = text.strip()
    while rest and len(chunks) < max_parts:
        head = _fit(rest, room)
        if len(head) == len(rest):
            chunks.append(rest)
            rest = ""
            break
        if len(chunks) == max_parts - 1:  # the last part allowed: cut, and say so
            chunks.append(_fit(rest, room - 1).rstrip() + ELLIPSIS)
            rest = ""
            break
        end = _break_at(head) or len(head)
        chunks.append(rest[:end].rstrip())
        rest = rest[end:].lstrip()
    if len(chunks) == 1:
        return chunks
    return [f"({number}/{len(chunks)}) {chunk}" for number, chunk in enumerate(chunks, start=1)]
