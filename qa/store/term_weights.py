"""A term's BM25 weights in the documents holding it, and a cache of them bounded in bytes.

A query's common word holds a large share of the chunks (a Zipf head word: over half of a million).
Computing its weights and adding them into the score array at those rows dominated a search at 1M
chunks; so a term's weights are kept once computed, and a term in many documents is kept as a dense
vector over every document, which is added to the scores with one contiguous pass instead of a
scatter-add at each row. The weights depend on N, the average length and which documents are alive,
so a cache belongs to one `Segments` (which never changes) and is dropped with it at the next write.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

# A term in more than this share of the documents is kept dense: adding N float32 (a streaming pass)
# costs less than a scatter-add at its rows from about 2 % of the documents up (numpy, 1M documents),
# but a dense vector takes N x 4 bytes of the cache: past 1/8 it is 4-5x faster and at most 8x bigger.
DENSE_SHARE = 1 / 8
# Bytes of weights one `Segments` keeps: 64 dense terms at 1M chunks, or many more sparse ones. The
# index holds one `Segments` (two while a search still reads one a write replaced): this bounds it.
CACHE_BYTES = 256 * 2**20


@dataclass(frozen=True)
class TermWeights:
    """One term's weights: a vector over every document, or (segment start, rows in it, weights) each."""

    dense: np.ndarray | None
    sparse: tuple[tuple[int, np.ndarray, np.ndarray], ...] = ()

    def add_to(self, scores: np.ndarray) -> None:
        """Add these weights into `scores` (float32, one per document), in place."""
        if self.dense is not None:
            np.add(scores, self.dense, out=scores)  # + 0.0 elsewhere: those scores are unchanged
            return
        for start, rows, weights in self.sparse:
            in_segment = scores[start:]  # a view: writes through, and needs no int64 copy of the rows
            in_segment[rows] += weights

    def nbytes(self) -> int:
        """Bytes this holds: rows that are a view of the segment's own (no removed documents) are free."""
        if self.dense is not None:
            return int(self.dense.nbytes)
        owned = (
            weights.nbytes + (rows.nbytes if rows.base is None else 0) for _, rows, weights in self.sparse
        )
        return int(sum(owned))


def assembled(parts: list[tuple[int, np.ndarray, np.ndarray]], documents: int) -> TermWeights:
    """Per-segment weights as a `TermWeights`: dense (`documents` long) when the term is in over
    `DENSE_SHARE` of them."""
    postings = sum(len(rows) for _, rows, _ in parts)
    if postings <= DENSE_SHARE * documents:
        return TermWeights(None, tuple(parts))
    dense = np.zeros(documents, dtype=np.float32)
    for start, rows, weights in parts:
        dense[start:][rows] = weights  # a plain scatter: far cheaper than the scatter-add it saves
    return TermWeights(dense)


class WeightCache:
    """Least recently used terms' weights, up to `limit` bytes; thread-safe (searches share it)."""

    def __init__(self, limit: int = CACHE_BYTES) -> None:
        self.limit = limit
        self.held = 0  # bytes held now
        self.hits = self.misses = 0
        self._terms: OrderedDict[int, TermWeights] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, term: int) -> TermWeights | None:
        """The term's weights if kept (now the most recently used), else None."""
        with self._lock:
            weights = self._terms.get(term)
            if weights is None:
                self.misses += 1
                return None
            self.hits += 1
            self._terms.move_to_end(term)
            return weights

    def put(self, term: int, weights: TermWeights) -> None:
        """Keep the term's weights, dropping the least recently used ones past the limit."""
        size = weights.nbytes()
        if size > self.limit:
            return
        with self._lock:
            if term in self._terms:
                return  # another search computed it meanwhile: the same values
            self._terms[term] = weights
            self.held += size
            while self.held > self.limit:
                _, dropped = self._terms.popitem(last=False)
                self.held -= dropped.nbytes()
