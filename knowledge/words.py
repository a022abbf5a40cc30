"""Words of a question or passage, in the form keyword search and gap grouping compare: lower case,
diacritics folded (ł → l), English and Polish stop words dropped, cut to a STEM_CHARS prefix so
inflections of one word meet (connect/connecting, połączyć/połączenie), after an English plural's
final "s" (logs/logging). No stemmer library knows Polish and English both; a prefix is crude but
predictable, and semantic search covers the rest."""

from __future__ import annotations

import re
import unicodedata

WORD = re.compile(r"\w+")
STEM_CHARS = 6
_STOP_WORDS_TEXT = (
    "a an and are as at be by can do does for from how i if in is it me my of on or our so that the "
    "there this to us was we what when where which who why will with you your "
    "aby albo ale bo być czy dla gdzie ich jak jaki jakie jest jestem już kiedy która które który "
    "mam mnie mi mogę może na nie od po przez się ta tak te to we za że co"
)
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


def fold(text: str) -> str:
    """Lower case without diacritics: "Połącz" → "polacz"."""
    text = text.lower().replace("ł", "l")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def query_words(text: str, limit: int = 16) -> list[str]:
    """The question's content words as typed (lower case, diacritics kept), stop words dropped,
    each once, cut to STEM_CHARS: the terms of a prefix query."""
    seen: list[str] = []
    for word in WORD.findall(text.lower()):
        if word in STOP_WORDS or fold(word) in STOP_WORDS or len(word) < 2 or (word.isdigit() and len(word) < 3):
            continue
        if len(word) >= 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        stem = word[:STEM_CHARS]
        if stem not in seen:
            seen.append(stem)
    return seen[:limit]


def coverage(question_terms: list[str], passage: str) -> float:
    """The share of the question's terms (prefixes) that begin a word of the passage (0..1)."""
    if not question_terms:
        return 0.0
    present = set(WORD.findall(fold(passage)))  # one fold of the whole text: per word it is 20x dearer
    found = sum(1 for term in {fold(t) for t in question_terms} if any(word.startswith(term) for word in present))
    return found / len({fold(t) for t in question_terms})
