from django.urls import URLPattern, path


def seed_path(route: str, view, name: str | None = None) -> list[URLPattern]:
    """A seed-1 route without a trailing slash plus the same route with one (CONTRACT §0.3.5);
    no redirect, so POST bodies survive."""
    return [path(route, view, name=name), path(f"{route}/", view)]
