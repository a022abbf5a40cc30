"""What the web panel's views (in accounts, messaging and reports) share: the htmx request test and
the words shown for a domain error."""

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext

from core.exceptions import ApplicationError


def is_htmx(request: HttpRequest) -> bool:
    """A request htmx sent (it answers with a fragment, not a whole page)."""
    return request.headers.get("HX-Request") == "true"


def error_text(exc: ApplicationError) -> str:
    """The domain's message in the page's language. The services speak the API's English; each
    panel module lists the texts it shows with gettext_noop, so the catalog carries them."""
    return gettext(exc.message)


def add_validation_errors(form, exc: ValidationError, *, fields: dict[str, str] | None = None) -> None:
    """A service's ValidationError on the form: each message on its field (renamed through
    `fields`), on the whole form when the field is not one of the form's."""
    rename = fields or {}
    mapping = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for field, messages in mapping.items():
        target = rename.get(field, field) if field else None
        for message in messages:
            form.add_error(target if target in form.fields else None, gettext(message))


class PanelForm(forms.Form):
    """A form styled for the panel (Bootstrap classes); a field with an error is marked invalid."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            base = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {base}".strip()

    def add_error(self, field, error) -> None:
        super().add_error(field, error)
        for name in [field] if field else []:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
