"""Stage 5: find the passages that answer a question: dense and keyword search fused, dated, one per story.

For a question, the nearest chunks by embedding and the best chunks by BM25 (words of the chunk and its
headline) are fused by reciprocal rank; each article is then scored by its chunks (several good passages
count for more than one); a prior from the question's time words and its reference date weighs each
article by when it was published; near-duplicate passages (wire copies, updates) are dropped; and the
result is grouped by article, a few chunks each, so that the top k spans several stories.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from qa.documents import DateRange, ScoredChunk, SearchFilter
from qa.embedding import Embedder, settings_for_index
from qa.errors import IndexMismatchError
from qa.results import Retrieval
from qa.retrieval.duplicates import drop_near_duplicates
from qa.retrieval.fusion import article_scores, order_by_article, reciprocal_rank_fusion
from qa.retrieval.timewords import TimeFocus, time_focus
from qa.settings import Settings
from qa.store import Store
from qa.text.dates import parse_date

LATEST_DAYS = 31  # "latest", "recently" with no other time word: news of about the last month
FUTURE_GRACE_DAYS = 1  # time zones: a story dated the day after the reference date is not from the future


def retrieval_config(settings: Settings) -> dict[str, Any]:
    """The settings retrieval results depend on (recorded in every evaluation run)."""
    return {
        "min_best_score": settings.min_best_score,
        "retrieval_mode": settings.retrieval_mode,
        "retrieval_candidates": settings.retrieval_candidates,
        "fusion_rrf_k": settings.fusion_rrf_k,
        "fusion_keyword_weight": settings.fusion_keyword_weight,
        "article_further_chunks_weight": settings.article_further_chunks_weight,
        "time_awareness": settings.time_awareness,
        "time_outside_weight": settings.time_outside_weight,
        "time_slack_days": settings.time_slack_days,
        "recency_half_life_days": settings.recency_half_life_days,
        "recency_floor": settings.recency_floor,
        "dedup_containment": settings.dedup_containment,
        "max_chunks_per_article": settings.max_chunks_per_article,
    }


class Retriever:
    """Hybrid retrieval over a store, with a similarity threshold below which chunks don't count."""

    def __init__(
        self, settings: Settings, embedder: Embedder, store: Store, stored_config: Mapping[str, Any]
    ):
        indexed_with = stored_config.get("embedding_model")
        if indexed_with is not None and indexed_with != embedder.name:
            raise IndexMismatchError(
                f"the index was built with embedding model {indexed_with!r} but the settings ask for "
                f"{embedder.name!r}; questions embedded otherwise would match poorly or not at all. Set "
                f"{settings_for_index(str(indexed_with))} or rebuild the index (`qa reset --yes`, then "
                "ingest)."
            )
        self._settings = settings
        self._embedder = embedder
        self._store = store

    def retrieve(
        self,
        query: str,
        *,
        k: int | None = None,
        min_score: float | None = None,
        search_filter: SearchFilter | None = None,
        as_of: date,
    ) -> Retrieval:
        """The best `k` chunks for `query` asked on `as_of`; those under `min_score`
        (cosine similarity) are kept apart in `nearest` only."""
        started = time.perf_counter()
        settings = self._settings
        k = k or settings.k
        threshold = settings.min_score if min_score is None else min_score
        focus = time_focus(query, as_of) if settings.time_awareness else TimeFocus()
        wanted = max(k, settings.retrieval_candidates)
        candidates, rankings = self._candidates(query, focus.strip(query), wanted, search_filter)
        weights = [1.0, settings.fusion_keyword_weight][: len(rankings)]
        fused = reciprocal_rank_fusion(rankings, weights, settings.fusion_rrf_k)
        if settings.time_awareness:
            # "latest" with no other time word means about the last month's news.
            period = focus.period or (
                DateRange(as_of - timedelta(days=LATEST_DAYS), as_of) if focus.latest else None
            )
            for chunk_id, score in fused.items():
                published = candidates[chunk_id].article.published
                fused[chunk_id] = score * self._time_weight(published, period, as_of)
        ranked = sorted(candidates.values(), key=lambda hit: -fused[hit.chunk.id])
        if settings.dedup_containment < 1.0:
            ranked = drop_near_duplicates(ranked, lambda hit: hit.chunk.text, settings.dedup_containment)
        per_article = article_scores(
            [(hit.article.id, fused[hit.chunk.id]) for hit in ranked], settings.article_further_chunks_weight
        )
        nearest = order_by_article(
            ranked, lambda hit: hit.article.id, per_article, settings.max_chunks_per_article
        )[:k]
        hits = [hit for hit in nearest if hit.score >= threshold]
        if min_score is None and max((hit.score for hit in nearest), default=-1.0) < settings.min_best_score:
            hits = []  # even the best passage is too far from the question: nothing to answer from
        covered = self._store.published_span(search_filter) if focus.period is not None else None
        ms = (time.perf_counter() - started) * 1000
        return Retrieval(hits, nearest, ms, period=focus.period, covered=covered)

    def _candidates(
        self, query: str, keywords: str, n: int, search_filter: SearchFilter | None
    ) -> tuple[dict[str, ScoredChunk], list[list[str]]]:
        """Chunks found by dense and keyword search, each with its cosine similarity, and the rankings."""
        mode = self._settings.retrieval_mode
        vector = self._embedder.embed([query])[0]
        rankings: list[list[str]] = []
        found: dict[str, ScoredChunk] = {}
        if mode != "keyword":
            dense = self._store.search(vector, n, search_filter)
            found.update((hit.chunk.id, hit) for hit in dense)
            rankings.append([hit.chunk.id for hit in dense])
        if mode != "dense":
            keyword = self._store.keyword_search(keywords, n, search_filter)
            missing = [hit.chunk_id for hit in keyword if hit.chunk_id not in found]
            found.update((hit.chunk.id, hit) for hit in self._store.get_chunks(missing, vector))
            # A chunk deleted between the two reads is simply not there.
            rankings.append([hit.chunk_id for hit in keyword if hit.chunk_id in found])
        return found, rankings

    def _time_weight(self, published: str | None, period: DateRange | None, reference: date) -> float:
        """How much an article's date fits the question's `period`: 1 for its news, less the further off."""
        settings = self._settings
        day = parse_date(published)
        if day is None:
            # Undated: neither in the period nor out of it.
            return settings.time_outside_weight**0.5 if period is not None else 1.0
        if (day - reference).days > FUTURE_GRACE_DAYS:
            return settings.time_outside_weight  # published after the day the question is asked
        weight = 1.0
        if period is not None:
            start = period.start or date.min
            end = (period.end or reference) + timedelta(days=settings.time_slack_days)
            if not start <= day <= end:
                weight *= settings.time_outside_weight
        if settings.recency_half_life_days > 0:
            age = max(0, (reference - day).days)
            weight *= max(settings.recency_floor, 0.5 ** (age / settings.recency_half_life_days))
        return weight
