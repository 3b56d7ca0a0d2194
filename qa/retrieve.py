"""Stage 5: find the chunks most similar to a question, and say when nothing is relevant enough."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from qa.documents import SearchFilter
from qa.embedding import Embedder
from qa.errors import IndexMismatchError
from qa.results import Retrieval
from qa.settings import Settings
from qa.store import Store


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
        search_filter: SearchFilter | None = None,
    ) -> Retrieval:
        """The best `k` chunks for `query`; those under `min_score` are kept apart in `nearest` only."""
        started = time.perf_counter()
        k = k or self._settings.k
        threshold = self._settings.min_score if min_score is None else min_score
        vector = self._embedder.embed([query])[0]
        nearest = self._store.search(vector, k, search_filter)
        hits = [hit for hit in nearest if hit.score >= threshold]
        return Retrieval(hits, nearest, (time.perf_counter() - started) * 1000)
