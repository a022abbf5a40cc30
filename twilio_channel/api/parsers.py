"""How the staff API reads a request body, made strict where leniency changed
configuration: a body that is not a JSON object is a 400 (issue 23: a cut-off `{"enabled": ` once
read as `{}` switched the AI off), an empty body is `{}`, and a form is read as before. Strings come
without what the database cannot store (NUL, lone surrogates): a staff send with one goes out
without it instead of failing. The fields' own rules are the serializers' (api.serializers)."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.negotiation import DefaultContentNegotiation

from core.json_input import TOO_DEEP, JSONTooDeep, json_loads
from core.text import data_clean

BODY_NOT_AN_OBJECT = "Request body must be a JSON object."


def form_dict(form: QueryDict) -> dict[str, Any]:
    """A form as the object a JSON body would be: one value per field (the last), cleaned."""
    return data_clean({key: form.get(key) for key in form})


class StaffJSONParser(parsers.BaseParser):
    """A JSON object. Cut-off JSON, an array, a string or a bare value, or a body nested too deeply
    to read, is a 400, so a write never reads a broken body as "all fields absent"."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None) -> dict[str, Any]:
        raw = stream.read() if stream is not None else b""
        if not raw.strip():
            return {}
        try:
            data = json_loads(raw)
        except JSONTooDeep as exc:
            raise ParseError(TOO_DEEP) from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(BODY_NOT_AN_OBJECT) from exc
        if not isinstance(data, dict):
            raise ParseError(BODY_NOT_AN_OBJECT)
        return data_clean(data)


class StaffFormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None) -> dict[str, Any]:
        return form_dict(super().parse(stream, media_type, parser_context))


class StaffMultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None) -> parsers.DataAndFiles:
        parsed = super().parse(stream, media_type, parser_context)
        return parsers.DataAndFiles(form_dict(parsed.data), parsed.files)


STAFF_PARSERS = [StaffJSONParser, StaffFormParser, StaffMultiPartParser]


class StaffContentNegotiation(DefaultContentNegotiation):
    """A body that is not a form is read as JSON whatever its content type says, as
    existing clients send it (DRF would answer 415), so `text/plain` JSON still works and a broken
    body is still a 400."""

    def select_parser(self, request, parsers):
        chosen = super().select_parser(request, parsers)
        if chosen is None:
            chosen = next((parser for parser in parsers if isinstance(parser, StaffJSONParser)), None)
        return chosen
