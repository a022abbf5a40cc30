"""The public API's list parameters: `skip`/`limit` offsets, with `limit` clamped."""

from dataclasses import dataclass

from django.conf import settings
from rest_framework import serializers

# Far past any table, and low enough that skip + limit stays inside the signed 64-bit OFFSET and
# LIMIT the databases take (a larger skip was a database error, a 500, instead of a 400).
SKIP_MAX = 2**62


class SkipLimitSerializer(serializers.Serializer):
    """The query parameters of a windowed list (a view's `windowed = True`: core.openapi documents
    them from here, bounds included)."""

    skip = serializers.IntegerField(
        required=False, default=0, min_value=0, max_value=SKIP_MAX, help_text="Rows to skip, newest first."
    )
    limit = serializers.IntegerField(
        required=False, default=None, help_text="Rows to return, clamped to 1..500 (default 100; 500 for full lists)."
    )


@dataclass(frozen=True)
class Window:
    skip: int
    limit: int

    def apply(self, queryset):
        return queryset[self.skip : self.skip + self.limit]


def list_window(query_params, *, default_limit: int | None = None) -> Window:
    """Read `skip` and `limit`; a non-integer is a 400 naming the field, `limit` is clamped 1..500.
    `default_limit` replaces LIST_LIMIT_DEFAULT for lists that were once unpaginated."""
    serializer = SkipLimitSerializer(data=query_params)
    serializer.is_valid(raise_exception=True)
    limit = serializer.validated_data["limit"]
    if limit is None:
        limit = default_limit or settings.LIST_LIMIT_DEFAULT
    return Window(skip=serializer.validated_data["skip"], limit=max(1, min(limit, settings.LIST_LIMIT_MAX)))
