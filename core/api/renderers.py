"""The browsable API: DRF's HTML pages, for clients that ask for text/html.

JSONRenderer comes first in DEFAULT_RENDERER_CLASSES, so a client that sends `Accept:
application/json`, `*/*` or no Accept header gets the JSON it always got; this renderer runs only
for browsers. The views are plain APIViews that name what they read: the body's serializer in
`input_serializer`, which the view validates with and the OpenAPI schema documents
(core.openapi), and `windowed` for a list in a `skip`/`limit` window. The forms are built from the
same declaration, so the schema, the validation and the forms cannot drift apart."""

import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from rest_framework import renderers, serializers
from rest_framework.request import override_method
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.lists import list_window

BODY_METHODS = ("POST", "PUT", "PATCH")


@dataclass(frozen=True)
class Declared:
    request: type[serializers.Serializer] | None  # the body's serializer
    windowed: bool  # takes the `skip`/`limit` list parameters


def declared(view_class: type, method: str) -> Declared:
    """What the view declares it reads for `method`: its `input_serializer` for a body method it
    answers, and `windowed` for its GET."""
    answered = callable(getattr(view_class, method.lower(), None))
    return Declared(
        request=getattr(view_class, "input_serializer", None) if answered and method in BODY_METHODS else None,
        windowed=answered and method == "GET" and getattr(view_class, "windowed", False),
    )


def _object_of(data: Any) -> Any:
    """The object a response shows (the serializer's instance), for a PUT form filled with it."""
    serializer = getattr(data, "serializer", None)
    if serializer is None or getattr(serializer, "many", False):
        return None
    return getattr(serializer, "instance", None)


def _rejected(data: Any, serializer_class: type) -> serializers.Serializer | None:
    """The input serializer that refused this request's body: DRF keeps it on the field errors
    (`{"detail": {field: [...]}}` in the error dialect), so the form shows them per field."""
    errors = data.get("detail") if isinstance(data, dict) else None
    serializer = getattr(errors, "serializer", None)
    return serializer if isinstance(serializer, serializer_class) else None


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    template = "rest_framework/api.html"  # the project's page (templates/rest_framework/api.html)

    def _form_serializer(self, view, method: str, request, data: Any) -> serializers.Serializer:
        serializer_class = declared(type(view), method).request
        assert serializer_class is not None
        context = {"request": request, "format": self.format, "view": view}
        instance = _object_of(data)
        if instance is not None and method != "POST":
            serializer = serializer_class(instance, context=context)
            try:
                serializer.data  # noqa: B018  every field reads the object: a form for this object
                return serializer
            except (AttributeError, KeyError):  # a body that is not a copy of the object
                pass
        return serializer_class(context=context)

    def get_rendered_html_form(self, data, view, method, request):
        if method not in BODY_METHODS:
            return super().get_rendered_html_form(data, view, method, request)
        serializer_class = declared(type(view), method).request
        if serializer_class is None:
            return None
        rejected = _rejected(data, serializer_class) if request.method == method else None
        with override_method(view, request, method) as request:
            if not self.show_form_for_method(view, method, request, _object_of(data)):
                return None
            return self.render_form_for_serializer(rejected or self._form_serializer(view, method, request, data))

    def render_form_for_serializer(self, serializer):
        for name, field in serializer.fields.items():
            if "password" in name:  # typed into a password box, never written back into the page
                field.style = {**field.style, "template": "rest_framework/password_input.html"}
        return super().render_form_for_serializer(serializer)

    def get_raw_data_form(self, data, view, method, request):
        form = super().get_raw_data_form(data, view, method, request)
        if form is None or method not in BODY_METHODS or declared(type(view), method).request is None:
            return form
        with override_method(view, request, method) as request:
            serializer = self._form_serializer(view, method, request, data)
            fields = {name: value for name, value in serializer.data.items() if "password" not in name}
            skeleton = {name: fields.get(name, "") for name in serializer.fields}
        form.fields["_content"].initial = json.dumps(skeleton, indent=4, ensure_ascii=False, default=str)
        return form

    def get_context(self, data, accepted_media_type, renderer_context):
        context = super().get_context(data, accepted_media_type, renderer_context)
        # DRF inlines pygments' CSS in a <style> when pygments is installed (only in development
        # here): the Content-Security-Policy allows no inline style, and production has no pygments.
        context["code_style"] = None
        view, request, response = renderer_context["view"], renderer_context["request"], renderer_context["response"]
        listed = request.method == "GET" and response.status_code == 200 and isinstance(data, list)
        if listed and declared(type(view), "GET").windowed:
            context["window"] = list_window_links(request, rows=len(data))
        return context


def list_window_links(request, *, rows: int) -> dict:
    """The `skip`/`limit` window a list page shows, and its neighbours. Without `limit` the step is
    the page's own length (at least the default), since some lists default to the cap."""
    window = list_window(request.query_params, default_limit=max(rows, settings.LIST_LIMIT_DEFAULT))
    url = remove_query_param(request.get_full_path(), "skip")
    return {
        "skip": window.skip,
        "limit": request.query_params.get("limit", ""),
        "max_limit": settings.LIST_LIMIT_MAX,
        "first": window.skip + 1,
        "last": window.skip + rows,
        "previous": replace_query_param(url, "skip", max(0, window.skip - window.limit)) if window.skip else None,
        "next": replace_query_param(url, "skip", window.skip + window.limit) if rows >= window.limit else None,
        "kept": [(key, value) for key, value in request.query_params.items() if key not in ("skip", "limit")],
    }
