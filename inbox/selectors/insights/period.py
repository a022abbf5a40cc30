"""The range and channel of an insights request: whole UTC days, `from` and `to` included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from messaging.enums import Channel

DEFAULT_DAYS = 30
# A quarter: enough for a trend, and it bounds what one request may make the database read.
MAX_DAYS = 92


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    channel: str | None  # None: every channel

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the range."""
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=UTC)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def today() -> date:
    return timezone.now().astimezone(UTC).date()


def _day(value: str | None, *, field: str) -> date | None:
    if value is None or value.strip() == "":
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ApplicationError(
            _("Field '%(field)s' must be a date (YYYY-MM-DD).") % {"field": field}, extra={"field": field}
        ) from None


def period_parse(*, first: str | None, last: str | None, channel: str | None) -> Period:
    """`from`/`to` as YYYY-MM-DD (default: the last 30 days up to today), `channel` one of the
    message channels or empty for all; a 400 naming the field otherwise."""
    to_day = _day(last, field="to") or today()
    from_day = _day(first, field="from") or to_day - timedelta(days=DEFAULT_DAYS - 1)
    if from_day > to_day:
        raise ApplicationError(_("Field 'from' must not be after 'to'."), extra={"field": "from"})
    if (to_day - from_day).days + 1 > MAX_DAYS:
        raise ApplicationError(
            _("Field 'from' is too early: the range may span at most %(days)s days.") % {"days": MAX_DAYS},
            extra={"field": "from"},
        )
    name = (channel or "").strip().lower() or None
    if name is not None and name not in Channel.values:
        raise ApplicationError(
            _("Field 'channel' must be one of: %(names)s.") % {"names": ", ".join(Channel.values)},
            extra={"field": "channel"},
        )
    return Period(first=from_day, last=to_day, channel=name)
