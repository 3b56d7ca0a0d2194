"""The Store in this process's memory: exact cosine search over every chunk, gone when the process ends.

Small and dependency-free beyond numpy; unit tests use it instead of an on-disk Chroma, and it is the
reference every other store is held to by the contract tests.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.documents import ArticleInfo, ArticleRecord, Chunk, DateRange, ScoredChunk, SearchFilter
from qa.store import ArticleWrite, check_writes, config_to_record, title_order
from qa.store.keyword import KeywordHit, KeywordIndex

if TYPE_CHECKING:
    from qa.settings import Settings


@dataclass(frozen=True)
class _Stored:
    chunk: Chunk
    article: ArticleInfo
    vector: np.ndarray  # unit length


@dataclass
class _Collection:
    config: dict[str, Any] = field(default_factory=dict)
    records: dict[str, ArticleRecord] = field(default_factory=dict)
    chunks: dict[str, _Stored] = field(default_factory=dict)  # insertion order: ties in search keep it
    words: KeywordIndex = field(default_factory=KeywordIndex)


class _Database:
    """Named collections and the lock that guards them all, shared by the stores opened on it."""

    def __init__(self) -> None:
        self.collections: dict[str, _Collection] = {}
        self.lock = threading.Lock()


class InMemoryStore:
    """The Store as Python dictionaries; safe to share between threads."""

    def __init__(self, collection: str = "articles", *, database: _Database | None = None) -> None:
        self.collection_name = collection
        self.location = "in memory (gone when the process ends)"
        self._database = database or _Database()
        self._lock = self._database.lock
        with self._lock:
            self._data = self._database.collections.setdefault(collection, _Collection())

    def open_collection(self, name: str) -> InMemoryStore:
        """Another collection in the same memory (what one process has stored under that name)."""
        return InMemoryStore(name, database=self._database)

    def stored_config(self) -> dict[str, Any]:
        """The index settings recorded with the index ({} when there is no index yet)."""
        with self._lock:
            return dict(self._data.config)

    def check_config(self, config: Mapping[str, str | int]) -> None:
        """Record `config` on a new index; raise IndexMismatchError if an existing one differs."""
        with self._lock:
            record = config_to_record(self._data.config, config, self.collection_name)
            if record is not None:
                self._data.config.update(record)

    def get_article(self, article_id: str) -> ArticleRecord | None:
        """The registry entry of a fully written article, if any."""
        with self._lock:
            return self._data.records.get(article_id)

    def articles_from_origin(self, origin: str) -> list[ArticleRecord]:
        """Articles that were loaded from this file."""
        with self._lock:
            return [r for r in self._data.records.values() if r.origin == origin]

    def list_articles(self) -> list[ArticleRecord]:
        """Every registered article, ordered by title."""
        with self._lock:
            return title_order(list(self._data.records.values()))

    def count_articles(self) -> int:
        """Number of fully written articles."""
        with self._lock:
            return len(self._data.records)

    def count_chunks(self) -> int:
        """Number of chunks stored."""
        with self._lock:
            return len(self._data.chunks)

    def get_articles(self, article_ids: Sequence[str]) -> dict[str, ArticleRecord]:
        """The registry entries of those of `article_ids` that are fully written, by id."""
        with self._lock:
            records = self._data.records
            return {i: records[i] for i in article_ids if i in records}

    def write_articles(self, writes: Sequence[ArticleWrite]) -> None:
        """Replace what is stored under each article's id, then register it (under the lock: all or none
        are seen)."""
        check_writes(writes)
        with self._lock:
            for article, chunks, embeddings in writes:
                info = article.info()
                self._remove(article.id)
                for chunk, vector in zip(chunks, embeddings, strict=True):
                    self._data.chunks[chunk.id] = _Stored(chunk, info, _unit(vector))
                self._data.records[article.id] = ArticleRecord(
                    **vars(info), origin=article.origin, content_hash=article.content_hash, chunks=len(chunks)
                )
            self._data.words.replace_many(
                (w.article.info(), w.article.content_hash, w.chunks) for w in writes
            )

    def delete_article(self, article_id: str) -> int:
        """Remove an article and every chunk of it; returns the number of chunks removed."""
        with self._lock:
            return self._remove(article_id)

    def _remove(self, article_id: str) -> int:
        self._data.records.pop(article_id, None)
        self._data.words.delete_article(article_id)
        gone = [chunk_id for chunk_id, s in self._data.chunks.items() if s.chunk.article_id == article_id]
        for chunk_id in gone:
            del self._data.chunks[chunk_id]
        return len(gone)

    def search(
        self, embedding: Sequence[float], k: int, search_filter: SearchFilter | None = None
    ) -> list[ScoredChunk]:
        """The `k` chunks nearest to `embedding` that pass the filter, best first, with cosine similarity."""
        query = _unit(embedding)
        with self._lock:
            candidates = [
                s
                for s in self._data.chunks.values()
                if search_filter is None or search_filter.matches(s.article)
            ]
        if not candidates:
            return []
        scores = np.stack([s.vector for s in candidates]) @ query
        order = np.argsort(-scores, kind="stable")[:k]
        return [ScoredChunk(candidates[i].chunk, candidates[i].article, float(scores[i])) for i in order]

    def keyword_search(
        self, query: str, k: int, search_filter: SearchFilter | None = None
    ) -> list[KeywordHit]:
        """The `k` chunks with the best BM25 score for `query` (words of the chunk and its headline)."""
        return self._data.words.search(query, k, search_filter)

    def published_span(self, search_filter: SearchFilter | None = None) -> DateRange | None:
        """The first and last publication day of the stored (dated) articles that pass the filter."""
        return self._data.words.published_span(search_filter)

    def undated_articles(self, search_filter: SearchFilter | None = None) -> int:
        """How many stored articles that pass the filter have no publication date."""
        return self._data.words.undated_articles(search_filter)

    def get_chunks(self, chunk_ids: Sequence[str], embedding: Sequence[float]) -> list[ScoredChunk]:
        """These chunks (still stored ones, in order asked), with their cosine similarity to `embedding`."""
        query = _unit(embedding)
        with self._lock:
            found = [self._data.chunks[i] for i in chunk_ids if i in self._data.chunks]
        return [ScoredChunk(s.chunk, s.article, float(s.vector @ query)) for s in found]

    def iter_chunks(self) -> Iterator[Chunk]:
        """Every stored chunk, ordered by article id and position."""
        with self._lock:
            chunks = [s.chunk for s in self._data.chunks.values()]
        return iter(sorted(chunks, key=lambda c: (c.article_id, c.index)))

    def opening_chunks(self) -> Iterator[Chunk]:
        """The first chunk of every article, ordered by article id."""
        return (chunk for chunk in self.iter_chunks() if chunk.index == 0)

    def reset(self) -> None:
        """Drop the whole index: chunks, registry and recorded settings."""
        with self._lock:
            self._data.config.clear()
            self._data.records.clear()
            self._data.chunks.clear()
            self._data.words.reset()


def _unit(vector: Sequence[float]) -> np.ndarray:
    """`vector` scaled to length 1 (a zero vector stays zero), so a dot product is the cosine."""
    array = np.asarray(vector, dtype=np.float64)
    norm = float(np.linalg.norm(array))
    return array / norm if norm else array


def open_store(settings: Settings) -> InMemoryStore:
    """An empty in-process store for the settings' collection."""
    return InMemoryStore(settings.collection)
