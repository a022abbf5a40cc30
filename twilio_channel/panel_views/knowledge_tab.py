"""The dashboard's knowledge tabs (superusers, like the knowledge API): the documents (upload a file,
paste a text, delete, try a search) and the questions the assistant could not answer (gaps), grouped
by wording, to mark resolved once a document covers them. The same services as the API."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.exceptions import ApplicationError
from core.panel import PanelForm
from knowledge.embeddings import current_model
from knowledge.gaps import gap_list, gap_resolve
from knowledge.search import knowledge_search
from knowledge.selectors import document_list
from knowledge.services import document_create, document_delete
from knowledge.uploads import document_from_upload
from twilio_channel.panel_views.access import superuser_required
from twilio_channel.panel_views.shared import form_refusal, redirect_to_tab, render_tab

QUERY_MAX = 1000
LIST_MAX = 500


class DocumentUploadForm(PanelForm):
    file = forms.FileField(label=gettext_lazy("File (.txt, .md, .html, .pdf)"))
    title = forms.CharField(
        label=gettext_lazy("Title"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Empty: the file's first heading, else its name."),
    )


class DocumentPasteForm(PanelForm):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    text = forms.CharField(label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 6}), strip=False)
    source = forms.CharField(
        label=gettext_lazy("Source"), required=False, max_length=500, help_text=gettext_lazy("A file name or address.")
    )
    language = forms.CharField(label=gettext_lazy("Language"), required=False, max_length=16)


def knowledge_page(
    request: HttpRequest,
    *,
    status: int = 200,
    upload_form: DocumentUploadForm | None = None,
    paste_form: DocumentPasteForm | None = None,
) -> HttpResponse:
    query = (request.GET.get("q") or "").strip()[:QUERY_MAX]
    context = {
        "documents": document_list()[:LIST_MAX],
        "upload_form": upload_form or DocumentUploadForm(),
        "paste_form": paste_form or DocumentPasteForm(),
        "query": query,
        "passages": knowledge_search(query=query, limit=5) if query else None,
        "semantic": bool(current_model()),
    }
    return render_tab(request, tab="knowledge", status=status, context=context)


def gaps_page(request: HttpRequest) -> HttpResponse:
    return render_tab(request, tab="gaps", context={"gaps": gap_list()[:LIST_MAX]})


@superuser_required
@require_POST
def knowledge_upload(request: HttpRequest) -> HttpResponse:
    form = DocumentUploadForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        try:
            document = document_from_upload(
                upload=form.cleaned_data["file"], title=form.cleaned_data["title"], added_by=request.user
            )
        except ApplicationError as exc:
            status = form_refusal(form, exc)
        else:
            messages.success(request, _("Document “%(title)s” added.") % {"title": document.title})
            return redirect_to_tab("knowledge")
    return knowledge_page(request, status=status, upload_form=form)


@superuser_required
@require_POST
def knowledge_paste(request: HttpRequest) -> HttpResponse:
    form = DocumentPasteForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            document = document_create(**form.cleaned_data, added_by=request.user)
        except ApplicationError as exc:
            status = form_refusal(form, exc)
        else:
            messages.success(request, _("Document “%(title)s” added.") % {"title": document.title})
            return redirect_to_tab("knowledge")
    return knowledge_page(request, status=status, paste_form=form)


@superuser_required
@require_POST
def knowledge_delete(request: HttpRequest, document_id: int) -> HttpResponse:
    try:
        document_delete(document_id=document_id)
    except ApplicationError:
        messages.error(request, _("No such document."))
    else:
        messages.success(request, _("Document deleted."))
    return redirect_to_tab("knowledge")


@superuser_required
@require_POST
def knowledge_gap_resolve(request: HttpRequest, gap_id: int) -> HttpResponse:
    try:
        gap_resolve(gap_id=gap_id, actor=request.user)
    except ApplicationError:
        messages.error(request, _("No such open question."))
    else:
        messages.success(request, _("Question marked resolved."))
    return redirect_to_tab("gaps")
