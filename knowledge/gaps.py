"""Questions the documents did not answer, for staff to fill. Rewordings of one question are one
gap: its words (knowledge.words, folded prefixes without stop words) are compared with the open
gaps', and a gap sharing SIMILAR_WORDS of them (Jaccard) takes the new ask (count + 1, latest
wording, time). Resolving a gap closes it; the same question asked later opens a new one."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.exceptions import NotFoundError
from knowledge.models import Gap
from knowledge.words import fold, query_words

logger = logging.getLogger("knowledge")

SIMILAR_WORDS = 0.6
QUESTION_MAX = 1000
OPEN_GAPS_COMPARED = 500
NO_GAP = _("No such open question.")


def gap_words(question: str) -> str:
    return " ".join(sorted({fold(term) for term in query_words(question, limit=32)}))


def _similarity(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def gap_record(*, question: str, channel: str = "") -> Gap | None:
    """Count one unanswered ask; None for a question with no content words (nothing to group)."""
    question = " ".join(question.split())[:QUESTION_MAX]
    words = gap_words(question)
    if not words:
        return None
    wanted = set(words.split())
    now = timezone.now()
    for _attempt in range(2):  # a concurrent first ask of the same words: the second joins it
        open_gaps = Gap.objects.filter(resolved_at__isnull=True).order_by("-last_asked_at")[:OPEN_GAPS_COMPARED]
        best = max(
            open_gaps.only("id", "words"), key=lambda gap: _similarity(wanted, set(gap.words.split())), default=None
        )
        if best is not None and _similarity(wanted, set(best.words.split())) >= SIMILAR_WORDS:
            Gap.objects.filter(pk=best.pk).update(
                count=F("count") + 1, question=question, last_asked_at=now, channel=channel
            )
            logger.info("Knowledge gap %s asked again", best.pk)
            return Gap.objects.get(pk=best.pk)
        try:
            with transaction.atomic():
                gap = Gap.objects.create(question=question, words=words, channel=channel, last_asked_at=now)
        except IntegrityError:
            continue
        logger.info("Knowledge gap %s recorded", gap.pk)
        return gap
    return None


def gap_resolve(*, gap_id: int, actor: User | None) -> Gap:
    updated = Gap.objects.filter(pk=gap_id, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolved_by=actor if getattr(actor, "pk", None) else None
    )
    if not updated:
        raise NotFoundError(str(NO_GAP))
    logger.info("Knowledge gap %s resolved", gap_id)
    return Gap.objects.get(pk=gap_id)


def gap_list(*, include_resolved: bool = False) -> QuerySet[Gap]:
    gaps = Gap.objects.all() if include_resolved else Gap.objects.filter(resolved_at__isnull=True)
    return gaps.order_by("-count", "-last_asked_at", "-id")
