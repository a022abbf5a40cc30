"""The AI's daily spend per scope in the superuser console: read-only, the ledger of the spend caps
(orchestrator.services.spend). Rows are written only by the turns' reservations and settlements."""

from decimal import Decimal

from django.contrib import admin
from django.http import HttpRequest

from orchestrator.models import GLOBAL_SCOPE, AISpend
from orchestrator.pricing import amount_setting
from orchestrator.services.spend import exhausted_action, spend_day

NO_CAP_TEXT = "no cap"


def _cap_of(scope: str) -> Decimal | None:
    return amount_setting("AI_DAILY_BUDGET" if scope == GLOBAL_SCOPE else "AI_CONTACT_DAILY_BUDGET")


def _usd(value: Decimal | None) -> str:
    return NO_CAP_TEXT if value is None else f"{value:.6f}"


@admin.register(AISpend)
class AISpendAdmin(admin.ModelAdmin):
    list_display = ["day", "scope", "spent_usd", "reserved_usd", "calls", "cap_usd", "remaining_usd", "updated_at"]
    list_filter = ["day"]
    search_fields = ["scope"]
    date_hierarchy = "day"
    readonly_fields = ["day", "scope", "spent_usd", "reserved_usd", "calls", "cap_usd", "remaining_usd", "updated_at"]
    exclude = ["spent_nano", "reserved_nano"]

    @admin.display(description="Spent (USD)", ordering="spent_nano")
    def spent_usd(self, row: AISpend) -> str:
        return _usd(row.spent)

    @admin.display(description="Reserved (USD)", ordering="reserved_nano")
    def reserved_usd(self, row: AISpend) -> str:
        return _usd(row.reserved)

    @admin.display(description="Cap today (USD)")
    def cap_usd(self, row: AISpend) -> str:
        return _usd(_cap_of(row.scope))

    @admin.display(description="Remaining (USD)")
    def remaining_usd(self, row: AISpend) -> str:
        cap = _cap_of(row.scope)
        if cap is None or row.day != spend_day():
            return "" if cap is not None else NO_CAP_TEXT  # a past day's room is of no use
        return _usd(max(cap - row.spent - row.reserved, Decimal(0)))

    def changelist_view(self, request: HttpRequest, extra_context=None):
        caps = (
            f"Caps per UTC day: each contact {_usd(amount_setting('AI_CONTACT_DAILY_BUDGET'))}, "
            f"all turns {_usd(amount_setting('AI_DAILY_BUDGET'))}; when spent: {exhausted_action()}. "
            f"Today is {spend_day():%Y-%m-%d}."
        )
        return super().changelist_view(request, {**(extra_context or {}), "subtitle": caps})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the ledger the caps hold against: a deleted row would lift a cap
