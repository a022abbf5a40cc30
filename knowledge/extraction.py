"""Text out of an uploaded file: plain text and Markdown as they are, HTML through the standard
library's parser (nothing is executed or fetched; script and style dropped), PDF through pypdf.
A file that cannot be read is an ApplicationError naming the `file` field (a 400)."""

from __future__ import annotations

import io
import logging
from html.parser import HTMLParser
from pathlib import PurePath

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError

logger = logging.getLogger("knowledge")

FORMATS = {".txt": "text", ".md": "text", ".markdown": "text", ".html": "html", ".htm": "html", ".pdf": "pdf"}
UNSUPPORTED = _("This file type is not supported: upload a .txt, .md, .html or .pdf file.")
TOO_LARGE = _("The file is too large (at most %(limit)s bytes).")
UNREADABLE = _("The file could not be read as %(kind)s.")
NO_TEXT = _("The file holds no text.")
SKIPPED_TAGS = {"script", "style", "noscript", "template", "svg", "head"}
BLOCK_TAGS = {"p", "div", "br", "li", "tr", "section", "article", "header", "footer", "pre", "blockquote", "table"}
HEADING_TAGS = {"h1": "#", "h2": "##", "h3": "###", "h4": "####", "h5": "#####", "h6": "######"}


def file_kind(name: str) -> str:
    kind = FORMATS.get(PurePath(name).suffix.lower())
    if kind is None:
        raise ApplicationError(str(UNSUPPORTED), extra={"field": "file"})
    return kind


def text_from_file(*, name: str, data: bytes) -> str:
    """The text of an uploaded file, by its name's extension."""
    kind = file_kind(name)
    limit = settings.KNOWLEDGE_MAX_UPLOAD_BYTES
    if len(data) > limit:
        raise ApplicationError(str(TOO_LARGE) % {"limit": limit}, extra={"field": "file"})
    if kind == "pdf":
        text = _pdf_text(data)
    else:
        try:
            decoded = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ApplicationError(str(UNREADABLE) % {"kind": "UTF-8"}, extra={"field": "file"}) from exc
        text = html_text(decoded) if kind == "html" else decoded
    if not text.strip():
        raise ApplicationError(str(NO_TEXT), extra={"field": "file"})
    return text


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader  # loaded only by processes that read a PDF
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, TypeError, KeyError, OSError) as exc:
        logger.info("PDF upload unreadable: %s", type(exc).__name__)
        raise ApplicationError(str(UNREADABLE) % {"kind": "PDF"}, extra={"field": "file"}) from exc
    return "\n\n".join(page.strip() for page in pages if page.strip())


class _TextParser(HTMLParser):
    """Visible text with headings kept as Markdown headings, so chunking can follow them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in SKIPPED_TAGS:
            self.skipping += 1
        elif tag in HEADING_TAGS:
            self.parts.append(f"\n\n{HEADING_TAGS[tag]} ")
        elif tag in BLOCK_TAGS:
            self.parts.append("\n\n" if tag != "br" else "\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in HEADING_TAGS or tag in BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_text(markup: str) -> str:
    parser = _TextParser()
    parser.feed(markup)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()
