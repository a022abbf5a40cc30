"""The lists' one-line previews (issue 28.5: they were cut inside a word, without an ellipsis)."""

import pytest

from core.templatetags.panel_text import preview


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short and whole", 80, "short and whole"),
        ("a b\n\nc", 80, "a b c"),
        ("one two three four", 10, "one two…"),  # "three" would not fit: the cut goes back a word
        ("one two, three four", 10, "one two…"),  # no dangling comma before the ellipsis
        ("one two three four", 13, "one two three…"),  # the cut falls between two words
        ("one two three", 13, "one two three"),  # exactly the limit: whole
        ("onetwothreefour", 10, "onetwothre…"),  # one word longer than the limit: cut, still marked
        (None, 80, ""),
    ],
)
def test_preview(text, limit, expected):
    assert preview(text, limit) == expected
