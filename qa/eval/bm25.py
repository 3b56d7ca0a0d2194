"""The keyword baseline: plain BM25 over the very chunks the index holds, beside the product's retrieval."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qa.documents import Chunk
from qa.text.bm25 import BM25_PARAMETERS, build_bm25
from qa.text.words import drop_possessives, tokens

RANKED_ARTICLES = 20  # distinct articles kept per question in results.jsonl


def bm25_tokens(text: str) -> list[str]:
    """Plain keyword tokens: lowercase words, possessive 's dropped, Lucene's English stop words removed."""
    from bm25s.stopwords import STOPWORDS_EN

    # Lucene's own English list, not the product's: the baseline is plain BM25 as others run it.
    stop = set(STOPWORDS_EN)
    return [t for t in tokens(drop_possessives(text)) if t not in stop]


class Bm25Baseline:
    """The product's BM25 (`qa.text.bm25`) over the index's chunks, with Lucene's tokens; articles rank
    by their best chunk."""

    settings: dict[str, Any] = {**BM25_PARAMETERS, "stop_words": "lucene-en"}

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self._article_ids = [c.article_id for c in chunks]
        self._model = build_bm25([bm25_tokens(c.text) for c in chunks])

    def rank(self, query: str, n: int = RANKED_ARTICLES) -> list[tuple[str, float]]:
        """The `n` best articles for `query`, with the BM25 score of their best chunk."""
        query_tokens = [t for t in bm25_tokens(query) if t in self._model.vocab_dict]
        if not query_tokens or not self._article_ids:
            return []
        import numpy as np

        scores = self._model.get_scores(query_tokens)
        order = np.argsort(-scores, kind="stable")  # ties keep chunk order, so runs are repeatable
        ranked: list[tuple[str, float]] = []
        seen: set[str] = set()
        for i in order:
            if float(scores[i]) <= 0:
                break
            if self._article_ids[i] not in seen:
                seen.add(self._article_ids[i])
                ranked.append((self._article_ids[i], float(scores[i])))
                if len(ranked) == n:
                    break
        return ranked
