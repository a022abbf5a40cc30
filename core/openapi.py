"""drf-spectacular hooks for the project's schema (served at /api/schema/)."""


def drop_slash_aliases(endpoints: list, **kwargs) -> list:
    """Seed routes answer with and without a trailing slash (core.urls.seed_path); the schema lists
    each operation once, under the seed's slash-less path, so operation ids stay unique."""
    canonical = {(path, method) for path, _regex, method, _view in endpoints}
    return [
        endpoint
        for endpoint in endpoints
        if not (endpoint[0].endswith("/") and (endpoint[0].rstrip("/"), endpoint[2]) in canonical)
    ]
