"""Passages for search: the text is cut at its headings (Markdown `#` lines, which HTML extraction
also produces) into sections, each section into paragraphs packed up to CHUNK_CHARS; a passage starts
with the end of the one before (OVERLAP_CHARS, from a word boundary) so a sentence cut at the seam is
still found whole. Each passage remembers its section's heading, which search indexes with it."""

from __future__ import annotations

import re
from dataclasses import dataclass

CHUNK_CHARS = 1200
OVERLAP_CHARS = 150
HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class Piece:
    heading: str
    text: str


def _sections(text: str) -> list[tuple[str, list[str]]]:
    sections: list[tuple[str, list[str]]] = [("", [])]
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            sections[-1][1].append("\n".join(paragraph).strip())
            paragraph.clear()

    fenced = False
    for line in text.replace("\r\n", "\n").split("\n"):
        if FENCE.match(line):
            fenced = not fenced  # a `# comment` inside a code block is no heading
        match = None if fenced else HEADING.match(line)
        if match:
            flush()
            sections.append((match.group("title")[:300], []))
        elif not line.strip() and not fenced:
            flush()
        else:
            paragraph.append(line.rstrip())
    flush()
    return [(heading, [p for p in paragraphs if p]) for heading, paragraphs in sections if any(paragraphs)]


def _split_long(paragraph: str) -> list[str]:
    """A paragraph longer than a passage, cut at sentence or word ends."""
    pieces: list[str] = []
    rest = paragraph
    while len(rest) > CHUNK_CHARS:
        cut = max(rest.rfind(". ", 0, CHUNK_CHARS), rest.rfind("\n", 0, CHUNK_CHARS))
        if cut < CHUNK_CHARS // 2:
            cut = rest.rfind(" ", 0, CHUNK_CHARS)
        if cut <= 0:
            cut = CHUNK_CHARS
        pieces.append(rest[: cut + 1].strip())
        rest = rest[cut + 1 :].strip()
    if rest:
        pieces.append(rest)
    return pieces


def _tail(text: str) -> str:
    if len(text) <= OVERLAP_CHARS:
        return text
    tail = text[-OVERLAP_CHARS:]
    space = tail.find(" ")
    return tail[space + 1 :] if 0 <= space < OVERLAP_CHARS // 2 else tail


def chunk_text(text: str) -> list[Piece]:
    pieces: list[Piece] = []
    for heading, paragraphs in _sections(text):
        current = ""
        for paragraph in (part for p in paragraphs for part in _split_long(p)):
            if current and len(current) + 2 + len(paragraph) > CHUNK_CHARS:
                pieces.append(Piece(heading=heading, text=current))
                current = f"{_tail(current)}\n\n{paragraph}"
            else:
                current = f"{current}\n\n{paragraph}" if current else paragraph
        if current:
            pieces.append(Piece(heading=heading, text=current))
    return pieces
