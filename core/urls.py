from django.urls import URLPattern, path, register_converter


def slash_optional_path(route: str, view, name: str | None = None) -> list[URLPattern]:
    """An API route without a trailing slash plus the same route with one;
    no redirect, so POST bodies survive."""
    return [path(route, view, name=name), path(f"{route}/", view)]


class TextSegmentConverter:
    """`<text:...>`: a path segment of free text (a conversation id). Like `str`, but without NUL,
    which no text column holds (PostgreSQL refuses it, which made the lookup a 500): such a path is
    simply not found."""

    regex = "[^/\x00]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TextSegmentConverter, "text")
