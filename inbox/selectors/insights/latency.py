"""Median and p90 time to the first reply per UTC day and channel, in SQL.

A wait starts at the first message to us after our last reply in the conversation (the first of
a burst) and ends at our next message in that conversation that did not fail. A reply may come up
to a day after the range ends; a wait still open is not counted. The messages of a conversation
are numbered by how many of our replies came before each (a running SUM, computed in one pass),
so a wait and its reply share a number: one GROUP BY finds both ends. PostgreSQL computes
the percentiles with percentile_cont; other databases with the same linear interpolation over
window ranks (ROW_NUMBER, COUNT), so both give the same numbers and nothing is read per row in
Python."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import connection

from inbox.selectors.insights.daily import FAILED_STATUSES, as_date
from inbox.selectors.insights.period import Period
from messaging.models import Message

WAITS = """
WITH scoped AS (
    SELECT conversation_id, channel, created_at, id,
        CASE WHEN direction = 'inbound' OR (direction = 'internal' AND recipient_id = %(bot)s)
            THEN 1 ELSE 0 END AS to_us,
        CASE WHEN (direction = 'outbound' OR (direction = 'internal' AND sender_id = %(bot)s))
            AND (status IS NULL OR status NOT IN (%(failed1)s, %(failed2)s)) THEN 1 ELSE 0 END AS from_us
    FROM {table}
    WHERE created_at >= %(start)s AND created_at < %(reply_end)s AND conversation_id IS NOT NULL {channel}
), numbered AS (
    SELECT conversation_id, channel, created_at, to_us, from_us,
        COALESCE(SUM(from_us) OVER (PARTITION BY conversation_id ORDER BY created_at, id
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS answered
    FROM scoped
), turns AS (
    SELECT MIN(channel) AS channel,
        MIN(CASE WHEN to_us = 1 THEN created_at END) AS asked_at,
        MIN(CASE WHEN from_us = 1 THEN created_at END) AS replied_at
    FROM numbered
    GROUP BY conversation_id, answered
), waits AS (
    SELECT {day} AS day, channel, {seconds} AS wait
    FROM (SELECT channel, asked_at AS created_at, replied_at FROM turns
          WHERE asked_at >= %(start)s AND asked_at < %(end)s AND replied_at IS NOT NULL) AS answered_turns
)
"""

POSTGRES = """
SELECT day, channel, COUNT(*),
    percentile_cont(0.5) WITHIN GROUP (ORDER BY wait),
    percentile_cont(0.9) WITHIN GROUP (ORDER BY wait)
FROM waits GROUP BY day, channel
"""

# percentile_cont(p): with the n waits sorted, position (n - 1) * p from 0; interpolate between
# the ranks around it. CAST AS INTEGER truncates, which is floor for these non-negative values.
PORTABLE = """
, ranked AS (
    SELECT day, channel, wait,
        ROW_NUMBER() OVER (PARTITION BY day, channel ORDER BY wait) AS rn,
        COUNT(*) OVER (PARTITION BY day, channel) AS n
    FROM waits
), placed AS (
    SELECT day, channel, wait, rn, n,
        (n - 1) * 0.5 AS pos50, CAST((n - 1) * 0.5 AS INTEGER) + 1 AS lo50,
        (n - 1) * 0.9 AS pos90, CAST((n - 1) * 0.9 AS INTEGER) + 1 AS lo90
    FROM ranked
), picked AS (
    SELECT day, channel, MAX(n) AS n, MAX(pos50) AS pos50, MAX(lo50) AS lo50, MAX(pos90) AS pos90, MAX(lo90) AS lo90,
        MAX(CASE WHEN rn = lo50 THEN wait END) AS a50, MAX(CASE WHEN rn = lo50 + 1 THEN wait END) AS b50,
        MAX(CASE WHEN rn = lo90 THEN wait END) AS a90, MAX(CASE WHEN rn = lo90 + 1 THEN wait END) AS b90
    FROM placed
    WHERE rn IN (lo50, lo50 + 1, lo90, lo90 + 1)
    GROUP BY day, channel
)
SELECT day, channel, n,
    a50 + (pos50 - (lo50 - 1)) * (COALESCE(b50, a50) - a50),
    a90 + (pos90 - (lo90 - 1)) * (COALESCE(b90, a90) - a90)
FROM picked
"""


def _dialect() -> dict[str, str]:
    if connection.vendor == "postgresql":
        return {
            "day": "(created_at AT TIME ZONE 'UTC')::date",
            "seconds": "EXTRACT(EPOCH FROM (replied_at - created_at))::float8",
        }
    # SQLite keeps UTC datetimes as ISO text: date() and julianday() read them.
    return {"day": "date(created_at)", "seconds": "(julianday(replied_at) - julianday(created_at)) * 86400.0"}


def first_reply_times(period: Period) -> dict[tuple[date, str], dict]:
    """{(day, channel): {"first_replies": n, "median_s": s, "p90_s": s}}."""
    dialect = _dialect()
    adapt = connection.ops.adapt_datetimefield_value
    params: dict[str, Any] = {
        "bot": settings.AI_BOT_USER_ID,
        "failed1": FAILED_STATUSES[0],
        "failed2": FAILED_STATUSES[1],
        "start": adapt(period.start),
        "end": adapt(period.end),
        "reply_end": adapt(period.end + timedelta(days=1)),
        "channel": period.channel,
    }
    sql = WAITS.format(
        table=connection.ops.quote_name(Message._meta.db_table),
        channel="AND channel = %(channel)s" if period.channel else "",
        **dialect,
    )
    sql += POSTGRES if connection.vendor == "postgresql" else PORTABLE
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {
        (as_date(day), channel): {"first_replies": n, "median_s": _seconds(median), "p90_s": _seconds(p90)}
        for day, channel, n, median, p90 in rows
    }


def _seconds(value) -> float | None:
    return None if value is None else round(float(value), 1)
