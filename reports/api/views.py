"""Public API: `/reports` endpoints R1–R7: parse, check, call one service, serialise."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsSuperuser
from core.api import validated
from core.lists import list_window
from reports import selectors, services
from reports.access import report_get_visible
from reports.api import serializers as s
from reports.enums import ReportStatus
from reports.validators import status_clean


def status_param(request: Request) -> str | None:
    """`status_filter` or its alias `status`; empty means "all". Each one
    given is checked, so a bad value is a 400 even beside a good one."""
    given = [request.query_params.get(name) or None for name in ("status_filter", "status")]
    for value in given:
        status_clean(value)
    return given[0] or given[1]


LIST_PARAMETERS = [
    OpenApiParameter("status_filter", str, enum=ReportStatus.values),
    OpenApiParameter("status", str, enum=ReportStatus.values, description="Alias of status_filter."),
]


class ReportsView(APIView):
    input_serializer = s.ReportCreateSerializer
    windowed = True

    @extend_schema(parameters=LIST_PARAMETERS, responses={200: s.ReportListOutSerializer(many=True)}, tags=["reports"])
    def get(self, request: Request) -> Response:
        window = list_window(request.query_params)
        reports = selectors.report_list_for_user(user=request.user, status=status_param(request))
        return Response(s.ReportListOutSerializer(window.apply(reports), many=True).data)

    @extend_schema(responses={201: s.ReportOutSerializer}, tags=["reports"])
    def post(self, request: Request) -> Response:
        data = validated(self.input_serializer, request.data)
        report = services.report_create(reporter=request.user, **data)
        return Response(s.ReportOutSerializer(report).data, status=status.HTTP_201_CREATED)


class ReportsAllView(APIView):
    windowed = True
    permission_classes = [IsSuperuser]

    @extend_schema(parameters=LIST_PARAMETERS, responses={200: s.ReportListOutSerializer(many=True)}, tags=["reports"])
    def get(self, request: Request) -> Response:
        window = list_window(request.query_params)
        reports = selectors.report_list_all(status=status_param(request))
        return Response(s.ReportListOutSerializer(window.apply(reports), many=True).data)


class ReportDetailView(APIView):
    input_serializer = s.ReportUpdateSerializer

    @extend_schema(responses={200: s.ReportListOutSerializer}, tags=["reports"])
    def get(self, request: Request, report_id: int) -> Response:
        report = report_get_visible(user=request.user, report_id=report_id)
        return Response(s.ReportListOutSerializer(report).data)

    @extend_schema(responses={200: s.ReportOutSerializer}, tags=["reports"])
    def put(self, request: Request, report_id: int) -> Response:
        data = validated(self.input_serializer, request.data)
        report = services.report_update(actor=request.user, report_id=report_id, **data)
        return Response(s.ReportOutSerializer(report).data)


class ReportCommentView(APIView):
    input_serializer = s.ReportCommentSerializer
    permission_classes = [IsSuperuser]

    @extend_schema(responses={200: s.ReportOutSerializer}, tags=["reports"])
    def post(self, request: Request, report_id: int) -> Response:
        data = validated(self.input_serializer, request.data)
        report = services.report_comment(
            actor=request.user, report_id=report_id, comment=data["comment"], status=data.get("status")
        )
        return Response(s.ReportOutSerializer(report).data)


class ReportResolveView(APIView):
    input_serializer = s.ReportResolveSerializer
    permission_classes = [IsSuperuser]

    @extend_schema(responses={200: s.ReportOutSerializer}, tags=["reports"])
    def put(self, request: Request, report_id: int) -> Response:
        data = validated(self.input_serializer, request.data or {})
        report = services.report_resolve(actor=request.user, report_id=report_id, comment=data.get("comment"))
        return Response(s.ReportOutSerializer(report).data)
