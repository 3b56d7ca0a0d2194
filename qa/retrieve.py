"""Stage 5: find the chunks most similar to a question, and say when nothing is relevant enough."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from qa.documents import ScoredChunk
from qa.embedding import Embedder
from qa.settings import Settings
from qa.store import IndexMismatchError, Store


@dataclass(frozen=True)
class Retrieval:
    """Chunks a question found: `hits` passed the relevance threshold, `nearest` is all that was looked at."""

    query: str
    hits: list[ScoredChunk]
    nearest: list[ScoredChunk]
    min_score: float
    ms: float


class Retriever:
    """Dense retrieval over the store, with a similarity threshold below which chunks don't count."""

    def __init__(
        self, settings: Settings, embedder: Embedder, store: Store, stored_config: Mapping[str, Any]
    ):
        indexed_with = stored_config.get("embedding_model")
        if indexed_with is not None and indexed_with != embedder.name:
            raise IndexMismatchError(
                f"the index was built with embedding model {indexed_with!r} but the settings ask for "
                f"{embedder.name!r}; questions embedded with another model would match nothing. Set "
                f"QA_EMBEDDING_MODEL={indexed_with} or rebuild the index (`qa reset --yes`, then ingest)."
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
        where: Mapping[str, Any] | None = None,
    ) -> Retrieval:
        """The best `k` chunks for `query`; those under `min_score` are kept apart in `nearest` only."""
        started = time.perf_counter()
        k = k or self._settings.k
        threshold = self._settings.min_score if min_score is None else min_score
        vector = self._embedder.embed([query])[0]
        nearest = self._store.search(vector, k, where=where)
        hits = [hit for hit in nearest if hit.score >= threshold]
        return Retrieval(query, hits, nearest, threshold, (time.perf_counter() - started) * 1000)


def date_filter(start: str | None, end: str | None) -> dict[str, Any] | None:
    """A store filter for articles published between two ISO dates (either may be open)."""
    from qa.store import published_as_int

    bounds: list[dict[str, Any]] = []
    low, high = published_as_int(start), published_as_int(end)
    if low is not None:
        bounds.append({"published_day": {"$gte": low}})
    if high is not None:
        bounds.append({"published_day": {"$lte": high}})
    if not bounds:
        return None
    return bounds[0] if len(bounds) == 1 else {"$and": bounds}
