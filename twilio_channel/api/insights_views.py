"""`GET /api/insights`: the insights selectors (inbox.selectors.insights) as JSON, for staff.
Amounts are USD strings (exact decimals), times seconds, days UTC."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from inbox.selectors.insights.period import DEFAULT_DAYS, MAX_DAYS, period_parse
from inbox.selectors.insights.report import insights_get
from twilio_channel.api.views import StaffAPIView

COST = {"max_digits": 24, "decimal_places": 9, "coerce_to_string": True}


class InsightsRowSerializer(serializers.Serializer):
    day = serializers.DateField()
    channel = serializers.CharField()
    inbound = serializers.IntegerField()
    outbound = serializers.IntegerField()
    ai_replies = serializers.IntegerField()
    handoffs = serializers.IntegerField()
    handoff_reasons = serializers.DictField(child=serializers.IntegerField())
    failed_sends = serializers.IntegerField()
    first_replies = serializers.IntegerField(help_text="Waits that ended with a reply (the percentiles' sample).")
    median_s = serializers.FloatField(allow_null=True, help_text="Median time to the first reply, seconds.")
    p90_s = serializers.FloatField(allow_null=True, help_text="90th percentile of the time to the first reply.")
    ai_cost = serializers.DecimalField(**COST)
    ai_conversations = serializers.IntegerField(help_text="Conversations with a priced AI reply that day.")
    ai_cost_per_conversation = serializers.DecimalField(**COST, allow_null=True)


class TopConversationSerializer(serializers.Serializer):
    conversation_id = serializers.IntegerField()
    key = serializers.CharField()
    channel = serializers.CharField()
    ai_cost = serializers.DecimalField(**COST)
    ai_replies = serializers.IntegerField()


class BudgetGlobalSerializer(serializers.Serializer):
    spent = serializers.DecimalField(**COST)
    reserved = serializers.DecimalField(**COST)
    cap = serializers.DecimalField(**COST, allow_null=True)
    used = serializers.FloatField(allow_null=True, help_text="(spent + reserved) / cap, 0..1; null without a cap.")


class BudgetContactsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    spent = serializers.DecimalField(**COST)
    highest = serializers.DecimalField(**COST)
    cap = serializers.DecimalField(**COST, allow_null=True)
    at_cap = serializers.IntegerField()


class BudgetTodaySerializer(serializers.Serializer):
    day = serializers.DateField()
    # "global" is a keyword: the field is declared by name below.
    contacts = BudgetContactsSerializer()


BudgetTodaySerializer._declared_fields["global"] = BudgetGlobalSerializer()


class InsightsSerializer(serializers.Serializer):
    # "from" is a keyword too.
    to = serializers.DateField()
    channel = serializers.CharField(allow_null=True)
    currency = serializers.CharField()
    rows = InsightsRowSerializer(many=True)
    top_conversations = TopConversationSerializer(many=True)
    budget_today = BudgetTodaySerializer()


InsightsSerializer._declared_fields = {"from": serializers.DateField(), **InsightsSerializer._declared_fields}


class InsightsView(StaffAPIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "from", str, description=f"First UTC day, YYYY-MM-DD; default {DEFAULT_DAYS} days before `to`."
            ),
            OpenApiParameter("to", str, description="Last UTC day, YYYY-MM-DD, included; default today."),
            OpenApiParameter(
                "channel", str, description="One channel (sms, whatsapp, telegram, web, api); default all."
            ),
        ],
        responses={
            200: InsightsSerializer,
            400: OpenApiResponse(
                description=f"A bad date or channel, or a range over {MAX_DAYS} days (`field` names it)."
            ),
        },
        tags=["insights"],
    )
    def get(self, request: Request) -> Response:
        """Per UTC day and channel: messages, AI replies, handoffs, failed sends, time to the first
        reply, AI cost; the top conversations by AI cost; today's budget use."""
        query = request.query_params
        period = period_parse(first=query.get("from"), last=query.get("to"), channel=query.get("channel"))
        insights = insights_get(period=period)
        data = {
            "from": period.first,
            "to": period.last,
            "channel": period.channel,
            "currency": "USD",
            "rows": insights.rows,
            "top_conversations": insights.top_conversations,
            "budget_today": insights.budget_today,
        }
        return Response(InsightsSerializer(data).data)
