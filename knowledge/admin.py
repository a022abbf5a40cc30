"""Documents in the Django admin: added and edited through the services (so passages, embeddings and
the search index follow), passages shown read-only on the document's page."""

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from core.exceptions import ApplicationError
from knowledge import services
from knowledge.models import Document, Gap


class DocumentForm(forms.ModelForm):
    class Meta:
        model = Document
        fields = ("title", "source", "language", "text")

    def clean(self):
        data = super().clean()
        try:
            services.document_fields_clean(**{f: data.get(f) or "" for f in ("title", "text", "source", "language")})
        except ApplicationError as exc:
            self.add_error(exc.extra.get("field") if exc.extra.get("field") in self.fields else None, exc.message)
        return data


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    form = DocumentForm
    list_display = ("title", "source", "language", "updated_at", "added_by")
    list_select_related = ("added_by",)
    search_fields = ("title", "source")
    readonly_fields = ("content_hash", "added_by", "created_at", "updated_at", "passages")

    @admin.display(description="Passages")
    def passages(self, obj: Document) -> str:
        """The passages, read-only, in order (shown on the page, not a formset: nothing to post back)."""
        if not obj.pk:
            return "-"
        rows = obj.chunks.order_by("ordinal").values_list("ordinal", "heading", "text", "embedding_model")
        return format_html(
            "<ol>{}</ol>",
            format_html_join(
                "",
                "<li><strong>{}</strong> <small>{}</small><pre>{}</pre></li>",
                ((heading or "-", model or "no embedding", text) for _ordinal, heading, text, model in rows),
            ),
        )

    def save_model(self, request: HttpRequest, obj: Document, form, change: bool) -> None:
        data = {field: form.cleaned_data.get(field) or "" for field in ("title", "text", "source", "language")}
        if change:  # the form checked the fields with the services' own rules (clean above)
            saved = services.document_replace(document=Document.objects.get(pk=obj.pk), **data)
        else:
            saved = services.document_create(**data, added_by=request.user)
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Document) -> None:
        services.document_delete(document_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for document_id in list(queryset.values_list("pk", flat=True)):
            services.document_delete(document_id=document_id)


@admin.register(Gap)
class GapAdmin(admin.ModelAdmin):
    list_display = ("question", "count", "last_asked_at", "resolved_at")
    list_filter = (("resolved_at", admin.EmptyFieldListFilter),)
    readonly_fields = ("question", "words", "count", "channel", "first_asked_at", "last_asked_at", "resolved_by")
    fields = (*readonly_fields, "resolved_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
