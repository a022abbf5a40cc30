"""AI spend caps (issue 27): a daily budget per contact (AI_CONTACT_DAILY_BUDGET) and one for all
turns together (AI_DAILY_BUDGET), in USD per UTC day; unset = no cap.

Every LLM call reserves its ceiling (orchestrator.pricing) before it is made and settles to its
real cost after it, or gives the reservation back when it fails. A reservation is one conditional
UPDATE per capped scope (`reserved += x WHERE spent + reserved + x <= cap`) on that day's
`AISpend` row, contact first then global (one order, so two turns never wait on each other in a
cycle), inside one transaction: both hold or neither. PostgreSQL re-checks the condition on the
row a concurrent turn just changed, SQLite runs writers one at a time, so concurrent turns
never overrun a cap. With no cap set nothing here touches the database.

A worker killed between the reservation and the settlement leaves its reservation on the day's
row until the day ends: the cap is then that much tighter for the rest of the day, never looser.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.db import update_returning
from orchestrator.models import COST_DECIMAL_PLACES, GLOBAL_SCOPE, AISpend
from orchestrator.pricing import amount_setting

logger = logging.getLogger("orchestrator")

FALLBACK, HANDOFF = "fallback", "handoff"
EXHAUSTED_ACTIONS = (FALLBACK, HANDOFF)


@dataclass(frozen=True)
class Hold:
    """A reservation: the rows it is on and the amount (billionths of a USD) reserved on each."""

    row_ids: tuple[int, ...]
    nano: int

    @property
    def capped(self) -> bool:
        return bool(self.row_ids)


NO_CAP = Hold(row_ids=(), nano=0)  # no cap in force: nothing reserved, nothing to settle


def contact_scope(*, conversation, user) -> str:
    """The one definition of "a contact" for the per-contact cap: the conversation's external
    participant (a phone number, shared by its SMS and WhatsApp threads), else the person on the
    web (the user the turn answers), else the conversation itself (a guest)."""
    number = getattr(conversation, "participant_number", None)
    if number:
        return f"contact:number:{number}"
    if user is not None:
        return f"contact:user:{user.pk}"
    if conversation is not None:
        return f"contact:conversation:{conversation.pk}"
    return "contact:none"


def to_nano(amount: Decimal, *, rounding: str = ROUND_CEILING) -> int:
    return int(amount.scaleb(COST_DECIMAL_PLACES).to_integral_value(rounding=rounding))


def caps_for(contact: str) -> list[tuple[str, int]]:
    """(scope, cap in billionths of a USD) of every cap in force for a turn of `contact`, in
    reservation order. A cap is rounded down: never more than the operator allowed."""
    capped = [(contact, amount_setting("AI_CONTACT_DAILY_BUDGET")), (GLOBAL_SCOPE, amount_setting("AI_DAILY_BUDGET"))]
    return [(scope, to_nano(cap, rounding=ROUND_FLOOR)) for scope, cap in capped if cap is not None]


def caps_in_force() -> bool:
    return bool(caps_for(""))


def spend_day() -> date:
    return timezone.now().astimezone(UTC).date()


def exhausted_action() -> str:
    action = (settings.AI_BUDGET_EXHAUSTED_ACTION or FALLBACK).strip().lower()
    return action if action in EXHAUSTED_ACTIONS else FALLBACK


def _reserve_on(*, day: date, scope: str, cap: int, amount: int) -> AISpend | None:
    # The row usually exists: one UPDATE. When it matched nothing the row is made sure of (a
    # concurrent creator is no conflict: the INSERT waits for it and does nothing) and the UPDATE
    # tried once more, so a row created meanwhile by another turn is never taken for a full budget.
    for attempt in range(2):
        rows = AISpend.objects.filter(day=day, scope=scope, spent_nano__lte=cap - amount - F("reserved_nano"))
        row = update_returning(rows, reserved_nano=F("reserved_nano") + amount, updated_at=timezone.now())
        if row is not None or attempt:
            return row
        AISpend.objects.bulk_create([AISpend(day=day, scope=scope)], ignore_conflicts=True)
    return None


def budget_reserve(*, contact: str, amount: Decimal) -> Hold | None:
    """Reserve `amount` on every cap in force for `contact`: the hold, or None when a cap has no
    room for it (nothing is then reserved anywhere)."""
    caps = caps_for(contact)
    if not caps:
        return NO_CAP
    nano = to_nano(amount)
    day = spend_day()
    row_ids: list[int] = []
    with transaction.atomic():
        for scope, cap in caps:
            row = _reserve_on(day=day, scope=scope, cap=cap, amount=nano)
            if row is None:
                transaction.set_rollback(True)
                logger.info("AI budget of %s exhausted for %s: no LLM call", day, scope.split(":", 1)[0])
                return None
            row_ids.append(row.pk)
    return Hold(row_ids=tuple(row_ids), nano=nano)


def budget_settle(*, hold: Hold, cost: Decimal | None) -> None:
    """Turn the reservation into the call's real cost (0 when unpriced), on the rows it was made on."""
    if not hold.capped:
        return
    real = to_nano(cost or Decimal(0))
    AISpend.objects.filter(pk__in=hold.row_ids).update(
        reserved_nano=F("reserved_nano") - hold.nano,
        spent_nano=F("spent_nano") + real,
        calls=F("calls") + 1,
        updated_at=timezone.now(),
    )
    if real > hold.nano:  # the ceiling is meant to be an upper bound: say so when it was not
        logger.warning("AI call cost %s nano-USD, over its reserved ceiling of %s", real, hold.nano)


def budget_release(*, hold: Hold) -> None:
    """Give back the reservation of a call that failed (no completion, so no cost recorded)."""
    if not hold.capped:
        return
    AISpend.objects.filter(pk__in=hold.row_ids).update(
        reserved_nano=F("reserved_nano") - hold.nano, updated_at=timezone.now()
    )
