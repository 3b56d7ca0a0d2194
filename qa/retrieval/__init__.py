"""Stage 5: find the passages that answer a question: dense and keyword search fused, dated, one per story.

For a question, the nearest chunks by embedding and the best chunks by BM25 (words of the chunk and its
headline) are fused by reciprocal rank; each article is then scored by its chunks (several good passages
count for more than one); a prior from the question's time words and its reference date weighs each
article by when it was published; near-duplicate passages (wire copies, updates) are dropped; and the
result is grouped by article, a few chunks each, so that the top k spans several stories.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from qa.chunking import chunk_id
from qa.documents import DateRange, ScoredChunk, SearchFilter
from qa.embedding import Embedder, settings_for_index
from qa.errors import IndexMismatchError
from qa.results import Retrieval
from qa.retrieval.duplicates import drop_near_duplicates
from qa.retrieval.fusion import article_scores, order_by_article, reciprocal_rank_fusion
from qa.retrieval.timewords import TimeFocus, time_focus
from qa.settings import StageConfig
from qa.store import Store
from qa.text.dates import parse_date

LATEST_DAYS = 31  # "latest", "recently" with no other time word: news of about the last month
FUTURE_GRACE_DAYS = 1  # time zones: a story dated the day after the reference date is not from the future


@dataclass(frozen=True)
class RetrievalConfig(StageConfig):
    """What retrieval results depend on beyond the index; each field is the setting of the same name."""

    k: int
    min_score: float
    min_best_score: float
    retrieval_mode: str
    retrieval_candidates: int
    fusion_rrf_k: float
    fusion_keyword_weight: float
    article_further_chunks_weight: float
    time_awareness: bool
    time_outside_weight: float
    time_slack_days: int
    recency_half_life_days: float
    recency_floor: float
    dedup_containment: float
    max_chunks_per_article: int

    @property
    def decline_below(self) -> float:
        """The best passage's similarity under which a question is declined: either threshold decides."""
        return max(self.min_score, self.min_best_score)


class Retriever:
    """Hybrid retrieval over a store, with a similarity threshold below which chunks don't count."""

    def __init__(
        self, config: RetrievalConfig, embedder: Embedder, store: Store, stored_config: Mapping[str, Any]
    ):
        indexed_with = stored_config.get("embedding_model")
        if indexed_with is not None and indexed_with != embedder.name:
            raise IndexMismatchError(
                f"the index was built with embedding model {indexed_with!r} but the settings ask for "
                f"{embedder.name!r}; questions embedded otherwise would match poorly or not at all. Set "
                f"{settings_for_index(str(indexed_with))} or rebuild the index (`qa reset --yes`, then "
                "ingest)."
            )
        self.config = config
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
        config = self.config
        k = k or config.k
        threshold = config.min_score if min_score is None else min_score
        focus = time_focus(query, as_of) if config.time_awareness else TimeFocus()
        wanted = max(k, config.retrieval_candidates)
        candidates, rankings = self._candidates(query, focus.strip(query), wanted, search_filter)
        weights = [1.0, config.fusion_keyword_weight][: len(rankings)]
        fused = reciprocal_rank_fusion(rankings, weights, config.fusion_rrf_k)
        if config.time_awareness:
            # "latest" with no other time word means about the last month's news.
            period = focus.period or (
                DateRange(as_of - timedelta(days=LATEST_DAYS), as_of) if focus.latest else None
            )
            for chunk_id, score in fused.items():
                published = candidates[chunk_id].article.published
                fused[chunk_id] = score * self._time_weight(published, period, as_of)
        ranked = sorted(candidates.values(), key=lambda hit: -fused[hit.chunk.id])
        if config.dedup_containment < 1.0:
            ranked = drop_near_duplicates(ranked, lambda hit: hit.chunk.text, config.dedup_containment)
        per_article = article_scores(
            [(hit.article.id, fused[hit.chunk.id]) for hit in ranked], config.article_further_chunks_weight
        )
        nearest = order_by_article(
            ranked, lambda hit: hit.article.id, per_article, config.max_chunks_per_article
        )[:k]
        hits = [hit for hit in nearest if hit.score >= threshold]
        if min_score is None and max((hit.score for hit in nearest), default=-1.0) < config.min_best_score:
            hits = []  # even the best passage is too far from the question: nothing to answer from
        covered, undated = None, 0
        if focus.period is not None:
            covered = self._store.published_span(search_filter)
            undated = self._store.undated_articles(search_filter)
        ms = (time.perf_counter() - started) * 1000
        # Each ranking's own first articles: the judgment counts whether the two searches agree.
        first = [_first_articles(ranking, candidates) for ranking in rankings]
        return Retrieval(
            hits,
            nearest,
            ms,
            period=focus.period,
            covered=covered,
            undated=undated,
            dense_articles=first[0] if config.retrieval_mode != "keyword" else (),
            keyword_articles=first[-1] if config.retrieval_mode != "dense" else (),
        )

    def whole_articles(self, query: str, article_ids: Sequence[str]) -> list[ScoredChunk]:
        """Every stored chunk of these articles, in article order and position, scored against `query`:
        what a reader of the whole story reads (a timeline), not only the passages a search ranks."""
        records = self._store.get_articles(article_ids)
        wanted = [chunk_id(a, n) for a in article_ids if a in records for n in range(records[a].chunks)]
        return self._store.get_chunks(wanted, self._embedder.embed([query])[0]) if wanted else []

    def _candidates(
        self, query: str, keywords: str, n: int, search_filter: SearchFilter | None
    ) -> tuple[dict[str, ScoredChunk], list[list[str]]]:
        """Chunks found by dense and keyword search, each with its cosine similarity, and the rankings."""
        mode = self.config.retrieval_mode
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
        config = self.config
        day = parse_date(published)
        if day is None:
            # Undated: neither in the period nor out of it.
            return config.time_outside_weight**0.5 if period is not None else 1.0
        if (day - reference).days > FUTURE_GRACE_DAYS:
            return config.time_outside_weight  # published after the day the question is asked
        weight = 1.0
        if period is not None:
            start = period.start or date.min
            end = (period.end or reference) + timedelta(days=config.time_slack_days)
            if not start <= day <= end:
                weight *= config.time_outside_weight
        if config.recency_half_life_days > 0:
            age = max(0, (reference - day).days)
            weight *= max(config.recency_floor, 0.5 ** (age / config.recency_half_life_days))
        return weight


AGREEMENT_ARTICLES = 3  # how many of each ranking's first articles a result keeps


def _first_articles(ranking: list[str], candidates: Mapping[str, ScoredChunk]) -> tuple[str, ...]:
    """The first distinct articles of a ranking of chunk ids."""
    articles = dict.fromkeys(candidates[chunk_id].article.id for chunk_id in ranking)
    return tuple(list(articles)[:AGREEMENT_ARTICLES])
