"""The knowledge base's staff API under `/api/knowledge/` (`{"error": ...}` dialect): the same
callers as the rest of `/api/*` (accounts.staff_access). Each view reads its input, calls one
service or selector, and answers."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.staff_access import STAFF_AUTHENTICATION, SUPERUSER_PERMISSIONS
from core.exceptions import ApplicationError
from knowledge import gaps, selectors
from knowledge.api import serializers as s
from knowledge.embeddings import current_model
from knowledge.search import LIMIT_MAX, knowledge_search
from knowledge.services import document_create, document_delete
from knowledge.uploads import document_from_upload

TAGS = ["knowledge"]
BAD_INPUT = {400: OpenApiResponse(description='`{"error": "..."}` naming the field at fault; nothing is stored.')}
QUERY_REQUIRED = "Parameter 'q' is required."


class KnowledgeAPIView(APIView):
    """Like the staff API's configuration routes: superusers (session, token) or `X-API-Key`; agents
    get 403, as on every staff route outside the messaging ones."""

    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = SUPERUSER_PERMISSIONS
    parser_classes = [JSONParser, MultiPartParser, FormParser]


def _user(request: Request):
    return request.user if getattr(request.user, "pk", None) else None  # the API key has no user row


class DocumentsView(KnowledgeAPIView):
    @extend_schema(operation_id="api_knowledge_documents_list", responses={200: s.DocumentListSerializer}, tags=TAGS)
    def get(self, request: Request) -> Response:
        """Every document, without its text, with its number of passages."""
        items = s.DocumentSerializer(selectors.document_list(), many=True).data
        return Response({"items": items, "count": len(items)})

    @extend_schema(
        request={"application/json": s.DocumentInSerializer, "multipart/form-data": s.DocumentUploadSerializer},
        responses={201: s.DocumentDetailSerializer, **BAD_INPUT},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        """Add a document: JSON `{title, text, source?, language?}`, or a `file` (.txt, .md, .html, .pdf)."""
        upload = request.FILES.get("file")
        data = request.data
        if upload is not None:
            document = document_from_upload(
                upload=upload,
                title=str(data.get("title") or ""),
                source=str(data.get("source") or ""),
                language=str(data.get("language") or ""),
                added_by=_user(request),
            )
        else:
            if not hasattr(data, "get"):
                raise ApplicationError("Request body must be a JSON object.")
            serializer = s.DocumentInSerializer(data=data)
            if not serializer.is_valid():
                field, errors = next(iter(serializer.errors.items()))
                raise ApplicationError(f"{field}: {errors[0]}", extra={"field": field})
            fields = {key: value or "" for key, value in serializer.validated_data.items()}
            document = document_create(
                title=fields.get("title", ""),
                text=fields.get("text", ""),
                source=fields.get("source", ""),
                language=fields.get("language", ""),
                added_by=_user(request),
            )
        detail = selectors.document_get(document_id=document.pk)
        return Response(s.DocumentDetailSerializer(detail).data, status=status.HTTP_201_CREATED)


class DocumentView(KnowledgeAPIView):
    @extend_schema(
        responses={200: s.DocumentDetailSerializer, 404: OpenApiResponse(description="No such document.")}, tags=TAGS
    )
    def get(self, request: Request, document_id: int) -> Response:
        """One document with its text."""
        return Response(s.DocumentDetailSerializer(selectors.document_get(document_id=document_id)).data)

    @extend_schema(responses={204: None, 404: OpenApiResponse(description="No such document.")}, tags=TAGS)
    def delete(self, request: Request, document_id: int) -> Response:
        """Delete a document and its passages."""
        document_delete(document_id=document_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SearchView(KnowledgeAPIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, required=True, description="The question."),
            OpenApiParameter("limit", int, description=f"Default 5, clamped to 1..{LIMIT_MAX}."),
        ],
        responses={200: s.SearchSerializer, **BAD_INPUT},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        """The passages the assistant would find for a question, best first (the staff's test search)."""
        query = (request.query_params.get("q") or "").strip()
        if not query:
            raise ApplicationError(QUERY_REQUIRED, extra={"field": "q"})
        try:
            limit = int(request.query_params.get("limit") or 5)
        except ValueError:
            raise ApplicationError("Parameter 'limit' must be a whole number.", extra={"field": "limit"}) from None
        passages = knowledge_search(query=query[:1000], limit=max(1, min(limit, LIMIT_MAX)))
        items = s.PassageSerializer([asdict(p) for p in passages], many=True).data
        return Response({"mode": "hybrid" if current_model() else "keyword", "items": items, "count": len(items)})


class GapsView(KnowledgeAPIView):
    @extend_schema(
        parameters=[OpenApiParameter("resolved", bool, description="Include resolved questions (default false).")],
        responses={200: s.GapListSerializer},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        """Questions the assistant could not answer from the documents, rewordings grouped, most asked first."""
        include = (request.query_params.get("resolved") or "").lower() in ("1", "true")
        items = s.GapSerializer(gaps.gap_list(include_resolved=include)[:500], many=True).data
        return Response({"items": items, "count": len(items)})


class GapResolveView(KnowledgeAPIView):
    @extend_schema(
        request=None,
        responses={200: s.GapSerializer, 404: OpenApiResponse(description="No such open question.")},
        tags=TAGS,
    )
    def post(self, request: Request, gap_id: int) -> Response:
        """Mark a question answered (a document now covers it); asked again later, it opens anew."""
        return Response(s.GapSerializer(gaps.gap_resolve(gap_id=gap_id, actor=_user(request))).data)
