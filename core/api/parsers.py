"""The API's JSON parser: DRF's, with a body nested too deeply for Python's parser (RecursionError,
not a ValueError, so DRF lets it through as a 500) answered as the parse error it is."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from core.json_input import TOO_DEEP


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - {TOO_DEEP}") from None
