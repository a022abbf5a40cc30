"""Insights query time at a million messages (issue 27): fills a database with `--messages`
messages (bulk, in SQL on PostgreSQL) over `--days` days in `--conversations` conversations on
four channels (SMS, WhatsApp, Telegram, the web's AI threads: asked, answered a few seconds to a
minute later, the answer an AI reply with a cost, one send in fifty failed), then times what
`GET /api/insights` runs for the last `--range-days` days (every channel, and one channel): each
part and the whole, `--repeat` times, and prints the medians as JSON. Method and results:
docs/PERFORMANCE.md ("Insights at a million messages").

    .venv/bin/python bench/insights.py --database-url postgres://postgres@127.0.0.1:5432/bench_insights

The database must exist; the script migrates it and replaces its own rows (conversation keys
`bench:…`) when their number differs from `--messages`. `--explain` prints PostgreSQL's plans.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEY_PREFIX = "bench:"
CHANNELS = ("sms", "whatsapp", "telegram", "web")


def setup(database_url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("DJANGO_READ_DOT_ENV_FILE", "false")
    os.environ["DJANGO_DEBUG"] = "false"  # no query log kept in memory
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill(*, messages: int, conversations: int, days: int, end: datetime) -> None:
    from django.db import connection, transaction

    from messaging.models import Conversation, Message, ModeChange

    ours = Message.objects.filter(conversation__key__startswith=KEY_PREFIX)
    handoffs_wanted = connection.vendor == "postgresql"  # the portable fill makes none
    if ours.count() == messages and ModeChange.objects.filter(source="bench").exists() == handoffs_wanted:
        return
    with transaction.atomic():
        ModeChange.objects.filter(conversation__key__startswith=KEY_PREFIX).delete()
        ours.delete()
        Conversation.objects.filter(key__startswith=KEY_PREFIX).delete()
    params = {"messages": messages, "conversations": conversations, "days": days, "end": end}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor, transaction.atomic():
            cursor.execute(CONVERSATIONS_SQL, params)
            cursor.execute(MESSAGES_SQL, params)
            cursor.execute(HANDOFFS_SQL, params)
        with connection.cursor() as cursor:  # outside a transaction: what autovacuum does in time
            cursor.execute("VACUUM ANALYZE messaging_message")
            cursor.execute("VACUUM ANALYZE messaging_conversation")
            cursor.execute("VACUUM ANALYZE messaging_modechange")
    else:  # SQLite: the same rows built in Python, in batches (the smoke test's few thousand)
        _fill_portable(**params)


CONVERSATIONS_SQL = """
INSERT INTO messaging_conversation (key, kind, participant_number, mode, last_agent, ai_lease_token,
    created_at, updated_at)
SELECT 'bench:' || g, CASE WHEN g %% 4 = 3 THEN 'ai' ELSE 'phone' END,
    CASE WHEN g %% 4 = 3 THEN NULL ELSE '+4870' || lpad(g::text, 7, '0') END, 'ai', '', '', now(), now()
FROM generate_series(0, %(conversations)s - 1) AS g
"""

# Message i: pair i / 2 of conversation (i / 2) % conversations; the pair's question is asked at
# an even spread over the days, the answer (odd i) 2..98 s later.
MESSAGES_SQL = """
WITH conv AS (
    SELECT id, (substr(key, 7))::int AS n FROM messaging_conversation WHERE key LIKE 'bench:%%'
), gen AS (
    SELECT i, i / 2 AS pair, i %% 2 AS answer, (i / 2) %% %(conversations)s AS n
    FROM generate_series(0, %(messages)s - 1) AS i
)
INSERT INTO messaging_message (conversation_id, sender_id, recipient_id, content, is_read, channel, direction,
    status, num_media, media, reply_state, agent, model, prompt_tokens, completion_tokens, ai_cost,
    created_at, updated_at)
SELECT conv.id,
    CASE WHEN conv.n %% 4 = 3 AND answer = 1 THEN -1 END,
    CASE WHEN conv.n %% 4 = 3 AND answer = 0 THEN -1 END,
    'bench', false,
    (ARRAY['sms', 'whatsapp', 'telegram', 'web'])[conv.n %% 4 + 1],
    CASE WHEN conv.n %% 4 = 3 THEN 'internal' WHEN answer = 1 THEN 'outbound' ELSE 'inbound' END,
    CASE WHEN conv.n %% 4 = 3 THEN NULL WHEN answer = 1 AND pair %% 50 = 0 THEN 'failed' WHEN answer = 1 THEN 'sent'
        ELSE 'received' END,
    0, '[]'::jsonb, CASE WHEN answer = 0 THEN 'done' ELSE 'none' END,
    CASE WHEN answer = 1 THEN 'support' ELSE '' END, CASE WHEN answer = 1 THEN 'bench-model' ELSE '' END,
    CASE WHEN answer = 1 THEN 300 END, CASE WHEN answer = 1 THEN 60 END,
    CASE WHEN answer = 1 THEN 0.0001 * (pair %% 7 + 1) END,
    t, t
FROM gen JOIN conv ON conv.n = gen.n,
    LATERAL (SELECT %(end)s::timestamptz - make_interval(secs => (pair::float8 / (%(messages)s / 2)) * %(days)s * 86400)
        + make_interval(secs => answer * (2 + pair %% 97)) AS t) AS at
"""


# One handoff per hundred questions, its reason in turn, spread like the questions.
HANDOFFS_SQL = """
INSERT INTO messaging_modechange (conversation_id, mode, reason, channel, source, created_at)
SELECT conv.id, 'human', (ARRAY['asked', 'loop', 'budget', 'staff'])[(k / 100) %% 4 + 1],
    (ARRAY['sms', 'whatsapp', 'telegram', 'web'])[conv.n %% 4 + 1], 'bench',
    %(end)s::timestamptz - make_interval(secs => (k::float8 / (%(messages)s / 2)) * %(days)s * 86400)
FROM generate_series(0, %(messages)s / 2 - 1, 100) AS k
JOIN (SELECT id, (substr(key, 7))::int AS n FROM messaging_conversation WHERE key LIKE 'bench:%%') AS conv
    ON conv.n = k %% %(conversations)s
"""


def _fill_portable(*, messages: int, conversations: int, days: int, end: datetime) -> None:
    from decimal import Decimal

    from messaging.models import Conversation, Message

    convs = Conversation.objects.bulk_create(
        Conversation(
            key=f"{KEY_PREFIX}{n}",
            kind="ai" if n % 4 == 3 else "phone",
            participant_number=None if n % 4 == 3 else f"+4870{n:07d}",
        )
        for n in range(conversations)
    )
    rows = []
    for i in range(messages):
        pair, answer = divmod(i, 2)
        n = pair % conversations
        web = n % 4 == 3
        at = end - timedelta(seconds=pair / (messages / 2) * days * 86400) + timedelta(seconds=answer * (2 + pair % 97))
        rows.append(
            Message(
                conversation=convs[n],
                sender_id=-1 if web and answer else None,
                recipient_id=-1 if web and not answer else None,
                content="bench",
                channel=CHANNELS[n % 4],
                direction="internal" if web else ("outbound" if answer else "inbound"),
                status=None if web else ("failed" if answer and pair % 50 == 0 else "sent" if answer else "received"),
                agent="support" if answer else "",
                model="bench-model" if answer else "",
                ai_cost=Decimal("0.0001") * (pair % 7 + 1) if answer else None,
                created_at=at,
            )
        )
    Message.objects.bulk_create(rows, batch_size=2000)


def timed(function, repeat: int) -> dict:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        runs.append((time.perf_counter() - started) * 1000)
    return {
        "median_ms": round(statistics.median(runs), 1),
        "min_ms": round(min(runs), 1),
        "max_ms": round(max(runs), 1),
    }


def measure(*, range_days: int, repeat: int, explain: bool) -> dict:
    from django.db import connection

    from inbox.selectors.insights.daily import daily_counts
    from inbox.selectors.insights.handoffs import daily_handoffs
    from inbox.selectors.insights.latency import first_reply_times
    from inbox.selectors.insights.period import period_parse
    from inbox.selectors.insights.report import budget_today, insights_get, top_conversations

    last = date.today()
    first = last - timedelta(days=range_days - 1)
    results: dict = {}
    for channel in (None, "sms"):
        period = period_parse(first=first.isoformat(), last=last.isoformat(), channel=channel)
        results[channel or "all"] = {
            "rows": len(insights_get(period=period).rows),
            "daily_counts": timed(lambda p=period: daily_counts(p), repeat),
            "first_reply_times": timed(lambda p=period: first_reply_times(p), repeat),
            "daily_handoffs": timed(lambda p=period: daily_handoffs(p), repeat),
            "top_conversations": timed(lambda p=period: top_conversations(p), repeat),
            "budget_today": timed(budget_today, repeat),
            "whole": timed(lambda p=period: insights_get(period=p), repeat),
        }
    if explain and connection.vendor == "postgresql":
        period = period_parse(first=first.isoformat(), last=last.isoformat(), channel=None)
        from inbox.selectors.insights.daily import messages_in

        print(messages_in(period).explain(analyze=True), file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=90, help="the data spans this many days up to now")
    parser.add_argument("--range-days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    setup(args.database_url)
    from django.db import connection

    started = time.perf_counter()
    fill(messages=args.messages, conversations=args.conversations, days=args.days, end=datetime.now(UTC))
    fill_s = round(time.perf_counter() - started, 1)
    from messaging.models import Message

    report = {
        "database": connection.vendor,
        "messages": Message.objects.count(),
        "fill_s": fill_s,
        "data_days": args.days,
        "range_days": args.range_days,
        "load_average": os.getloadavg(),
        "timings": measure(range_days=args.range_days, repeat=args.repeat, explain=args.explain),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
