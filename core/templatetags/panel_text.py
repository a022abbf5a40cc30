"""Template filters of the panel's lists."""

from django import template

register = template.Library()

PREVIEW_CHARS = 80  # below the 100 characters the list selectors keep, so a longer text is always cut here


@register.filter
def preview(value: object, limit: int = PREVIEW_CHARS) -> str:
    """One line of at most `limit` characters; a longer text is cut after its last whole word and
    ends with "…" (a cut inside a word read as a typo, and a silent cut as the whole message)."""
    text = " ".join(str(value or "").split())
    if len(text) <= limit:
        return text
    head = text[: limit + 1]  # one character more: is the cut between two words?
    head = head[:limit] if head[limit] == " " else head.rsplit(" ", 1)[0] if " " in head else head[:limit]
    return head.rstrip(" ,;:.-–") + "…"
