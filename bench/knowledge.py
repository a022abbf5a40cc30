"""Knowledge search benchmark (issue 26): answer quality on the demo corpus, then latency and memory
at scale.

1. Quality: the project's README and docs/ are imported as the demo corpus (`knowledge_import
   --demo`); each question of QUESTIONS names the section that answers it (checked by reading the
   section). Reported per mode (keyword-only, semantic-only, hybrid): recall@5 (the answering
   section among the first five passages) and MRR (1 / rank of its first passage).
2. Scale: synthetic passages (random words, random unit vectors of the stand-in's 256 dimensions)
   are added up to each size of `--sizes`; `--queries` hybrid searches are timed end to end
   (version check, full-text query, the embedding call to the loopback stand-in, the vector scan,
   fetching the passages): p50 and p95. Memory: the process's resident size after the matrix loaded,
   and the matrix itself.

Embeddings come from the project's loopback stand-in (hashed word vectors, demo/llm_server.py),
through litellm, as in the tests: a real embedding model ranks better and costs its own latency.

    .venv/bin/python bench/knowledge.py                              # SQLite file in a temp folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_knowledge .venv/bin/python bench/knowledge.py

The database is emptied of knowledge rows first: use a database of its own. It only talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (question, source, section headings): the passages of those sections answer it (each checked by
# reading the section; where several sections answer, all are listed).
QUESTIONS = [
    ("How do I connect WhatsApp?", "README.md", "Twilio setup"),
    ("Jak połączyć WhatsApp z serwerem Twilio?", "README.md", "Twilio setup"),
    (
        "How do I start the server?",
        "README.md",
        ("Two commands", "Try it in five minutes", "What `./scripts/run.sh` starts"),
    ),
    ("How do I run the whole test suite?", "README.md", "Two commands"),
    ("How do I create a superuser from the command line?", "README.md", "Users from the command line"),
    ("Can I try it without an AI or Twilio account?", "README.md", "Try it in five minutes"),
    ("How do I regenerate the requirements lock files?", "README.md", "Dependencies"),
    ("What does the readiness probe check?", "README.md", "Liveness and readiness"),
    ("How are Twilio webhook signatures validated?", "README.md", "Webhook signatures"),
    ("How does a user verify a phone number?", "README.md", "Phone verification"),
    ("What happens after too many failed login attempts?", "README.md", "Login and sign-up limits"),
    ("How do I add a new tool or agent to the assistant?", "README.md", "Adding an agent or a tool"),
    ("Which AI model names are allowed?", "README.md", "AI model names"),
    ("How are long SMS replies split?", "README.md", "Delivery"),
    ("When does a log file rotate?", "README.md", "Logging"),
    ("Which roles can a user have?", "README.md", "Roles"),
    ("How do I turn the AI on?", "README.md", "Configuration"),
    ("How do I add documents to the knowledge base?", "README.md", "Knowledge base"),
    ("What does the staff panel's handoff inbox show?", "README.md", "Staff panel"),
    (
        "How many replies per second does the AI worker reach?",
        "docs/PERFORMANCE.md",
        "AI throughput (`bench/ai_throughput.py`)",
    ),
]
MODES = ("keyword", "semantic", "hybrid")
DIMENSIONS = 256  # the stand-in's (demo/llm_server.py EMBEDDING_DIMENSIONS)


def setup_django(database_url: str | None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DJANGO_READ_DOT_ENV_FILE"] = "false"
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def point_at_stand_in():
    from django.conf import settings

    from demo.llm_server import FakeLLMServer

    server = FakeLLMServer().start()
    settings.LITELLM_BASEURL = server.url
    settings.LITELLM_API_KEY = "bench"
    settings.LITELLM_MODEL = "bench-model"
    settings.EMBEDDING_MODEL = "bench-embedding"
    return server


def empty_knowledge() -> None:
    from knowledge.models import Document, Gap, KnowledgeVersion

    Document.objects.all().delete()
    Gap.objects.all().delete()
    KnowledgeVersion.objects.update(version=0)


def quality() -> dict:
    from io import StringIO

    from django.core.management import call_command

    from knowledge.search import knowledge_search

    call_command("knowledge_import", "--demo", stdout=StringIO())
    report: dict = {}
    misses: dict = {}
    for mode in MODES:
        hits, reciprocal = 0, 0.0
        for question, source, headings in QUESTIONS:
            wanted = (headings,) if isinstance(headings, str) else headings
            passages = knowledge_search(query=question, limit=20, mode=mode)
            ranks = [i for i, p in enumerate(passages, 1) if p.source == source and p.heading in wanted]
            if ranks and ranks[0] <= 5:
                hits += 1
            else:
                misses.setdefault(mode, []).append(question)
            reciprocal += 1.0 / ranks[0] if ranks else 0.0
        report[mode] = {"recall_at_5": round(hits / len(QUESTIONS), 3), "mrr": round(reciprocal / len(QUESTIONS), 3)}
    report["questions"] = len(QUESTIONS)
    report["misses"] = misses
    return report


def _vocabulary(rng: random.Random, size: int = 8000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 10))) for _ in range(size)]


def add_synthetic(count: int, rng: random.Random, vocabulary: list[str], start: int) -> None:
    import numpy as np
    from django.db import transaction

    from knowledge.models import Chunk, Document
    from knowledge.services import _version_bump

    generator = np.random.default_rng(start or 1)
    per_document = 100
    batch = 2000
    document = None
    with transaction.atomic():
        for offset in range(0, count, batch):
            size = min(batch, count - offset)
            vectors = generator.standard_normal((size, DIMENSIONS)).astype("<f4")
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            chunks = []
            for i in range(size):
                number = start + offset + i
                if document is None or number % per_document == 0:
                    document = Document.objects.create(
                        title=f"Synthetic {number // per_document}",
                        text="-",
                        content_hash="-",
                        source=f"synthetic/{number}",
                    )
                text = " ".join(rng.choice(vocabulary) for _ in range(120))
                chunks.append(
                    Chunk(
                        document=document,
                        ordinal=number % per_document,
                        heading="",
                        text=text,
                        embedding=vectors[i].tobytes(),
                        embedding_model="bench-embedding",
                    )
                )
            Chunk.objects.bulk_create(chunks)
        _version_bump()
    from django.db import connection

    if connection.vendor == "postgresql":
        # As autovacuum would after such a load: fresh statistics, and the GIN index's pending list
        # (up to 4 MB of new entries, read by every lookup of a term) merged into the index.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE knowledge_chunk")


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[int(share * (len(ordered) - 1))], 1)


def scale(sizes: list[int], queries: int) -> list[dict]:
    from knowledge import vectors
    from knowledge.embeddings import embed_query
    from knowledge.keyword import keyword_ranked
    from knowledge.models import Chunk
    from knowledge.search import CANDIDATES, knowledge_search
    from knowledge.words import query_words

    rng = random.Random(26)
    vocabulary = _vocabulary(rng)
    results = []
    for size in sorted(sizes):
        present = Chunk.objects.count()
        if size > present:
            started = time.perf_counter()
            add_synthetic(size - present, rng, vocabulary, start=present + 1_000_000)
            insert_s = time.perf_counter() - started
        else:
            insert_s = 0.0
        vectors._loaded = None
        before = rss_bytes()
        started = time.perf_counter()
        knowledge_search(query="warm up", limit=5)  # loads the matrix
        load_s = time.perf_counter() - started
        timings, cpu, parts = [], [], {"keyword": [], "embedding_call": [], "vector_scan": []}
        for _ in range(queries):
            question = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(3, 8)))
            started, started_cpu = time.perf_counter(), time.process_time()
            knowledge_search(query=question, limit=5)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            # The same search's parts, timed one by one.
            started = time.perf_counter()
            keyword_ranked(query_words(question), CANDIDATES)
            parts["keyword"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            model, vector = embed_query(question)
            parts["embedding_call"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            vectors.nearest(model=model, query=vector, limit=CANDIDATES)
            parts["vector_scan"].append((time.perf_counter() - started) * 1000)
        results.append(
            {
                "chunks": Chunk.objects.count(),
                "insert_s": round(insert_s, 1),
                "matrix_load_s": round(load_s, 2),
                "search_p50_ms": _p(timings, 0.5),
                "search_p95_ms": _p(timings, 0.95),
                "search_cpu_p50_ms": _p(cpu, 0.5),
                **{f"{name}_p50_ms": _p(values, 0.5) for name, values in parts.items()},
                **{f"{name}_p95_ms": _p(values, 0.95) for name, values in parts.items()},
                "matrix_mb": round(vectors.memory_bytes() / 2**20, 1),
                "rss_mb": round(rss_bytes() / 2**20, 1),
                "rss_growth_on_load_mb": round((rss_bytes() - before) / 2**20, 1),
            }
        )
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 50_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--no-scale", action="store_true", help="Only the quality measures.")
    options = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL")
    temporary = None
    if not database_url:
        temporary = tempfile.mkdtemp(prefix="bench-knowledge-")
        database_url = f"sqlite:///{temporary}/knowledge.sqlite3"
    setup_django(database_url)
    server = point_at_stand_in()
    from django.db import connection

    try:
        empty_knowledge()
        report = {"database": connection.vendor, "quality": quality()}
        if not options.no_scale:
            report["scale"] = scale(options.sizes, options.queries)
        report["load_average"] = [round(x, 1) for x in os.getloadavg()]
        print(json.dumps(report, indent=2))
    finally:
        empty_knowledge()
        server.stop()


if __name__ == "__main__":
    main()
