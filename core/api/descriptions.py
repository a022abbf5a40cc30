"""The browsable API's view descriptions (the views' docstrings) as HTML. DRF renders them with
the `markdown` package when it is installed and otherwise shows the raw text, backticks and hard line
breaks included. The docstrings use only paragraphs, `code` and **bold**, so this renders those
few constructs itself, on escaped text (no HTML from a docstring reaches the page)."""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from rest_framework.views import get_view_description as drf_view_description

_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"\*\*([^*\n]+)\*\*")


def markdown_lite(text: str) -> SafeString:
    paragraphs = [" ".join(block.split()) for block in re.split(r"\n\s*\n", text.strip()) if block.strip()]
    html = []
    for paragraph in paragraphs:
        paragraph = _BOLD.sub(r"<strong>\1</strong>", _CODE.sub(r"<code>\1</code>", escape(paragraph)))
        html.append(f"<p>{paragraph}</p>")
    return mark_safe("\n".join(html))  # noqa: S308 - built from escaped text and our own tags


def view_description(view, html: bool = False) -> str:
    """REST_FRAMEWORK["VIEW_DESCRIPTION_FUNCTION"]: DRF's text (the dedented docstring)."""
    text = drf_view_description(view, html=False)
    return markdown_lite(text) if html else text
