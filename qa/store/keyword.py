"""Keyword search kept beside a store: BM25 (bm25s) over each chunk's words and its article's headline.

The words of every chunk are kept in SQLite (a file beside the embedded Chroma database, or in memory),
written in the same step as the chunks and removed with them, so the keyword side is never re-read from
the store per query. BM25 weights depend on every document (idf, average length), so the bm25s matrix is
built from those stored words the first time a search needs it after a change (tokenizing, the slow
part, is done once per chunk, at ingest) and saved next to the file, so the next process loads it
instead. Every write bumps a generation number in the same transaction: a search sees another
process's writes (`qa ingest` while `qa serve` runs) by reading it, and `sync` rebuilds the words from
the store when they are missing or stale.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from qa.documents import ArticleInfo, ArticleRecord, Chunk, DateRange, SearchFilter
from qa.files import directory_atomically
from qa.text.bm25 import build_bm25
from qa.text.dates import day_number, from_day_number, parse_date
from qa.text.words import keyword_tokens

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, article_id TEXT NOT NULL, day INTEGER, words TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_by_article ON chunks (article_id);
CREATE INDEX IF NOT EXISTS chunks_by_day ON chunks (day);
CREATE TABLE IF NOT EXISTS articles (article_id TEXT PRIMARY KEY, content_hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('generation', 0);
INSERT OR IGNORE INTO meta VALUES ('file', abs(random()));
"""
_BUMP = "UPDATE meta SET value = value + 1 WHERE key = 'generation'"


@dataclass(frozen=True)
class KeywordHit:
    """A chunk id and its BM25 score for a query."""

    chunk_id: str
    score: float


def chunk_words(chunk: Chunk, article: ArticleInfo) -> list[str]:
    """What keyword search matches a chunk on: its headline's words and its own."""
    return keyword_tokens(f"{article.title}\n{chunk.text}")


class KeywordIndex:
    """BM25 over stored chunk words; thread-safe; `path=None` keeps everything in memory."""

    def __init__(self, path: Path | None = None) -> None:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by the web chat's worker threads, guarded by the lock below.
        self._db = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False)
        self._db.executescript(_SCHEMA)
        self._saved = path.with_suffix(".bm25") if path is not None else None
        self._lock = threading.Lock()
        self._built_at: str | None = None
        self._model: Any = None
        self._chunk_ids: list[str] = []
        self._days: np.ndarray = np.zeros(0)

    # -- writes (called by the store, in the same step as its own) -------------------------------
    def replace_many(self, items: Iterable[tuple[ArticleInfo, str, Sequence[Chunk]]]) -> None:
        """Forget what was indexed under each article's id, then index its chunks: one transaction."""
        with self._lock, self._db:
            for info, content_hash, chunks in items:
                self._forget(info.id)
                day = parse_date(info.published)
                self._db.executemany(
                    "INSERT INTO chunks VALUES (?, ?, ?, ?)",
                    [
                        (c.id, info.id, day_number(day) if day else None, " ".join(chunk_words(c, info)))
                        for c in chunks
                    ],
                )
                self._db.execute("INSERT INTO articles VALUES (?, ?)", (info.id, content_hash))
            self._db.execute(_BUMP)

    def delete_article(self, article_id: str) -> None:
        """Forget an article's chunks (a search never returns them again)."""
        with self._lock, self._db:
            self._forget(article_id)
            self._db.execute(_BUMP)

    def reset(self) -> None:
        """Forget everything."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM chunks")
            self._db.execute("DELETE FROM articles")
            self._db.execute(_BUMP)

    def _forget(self, article_id: str) -> None:
        self._db.execute("DELETE FROM chunks WHERE article_id = ?", (article_id,))
        self._db.execute("DELETE FROM articles WHERE article_id = ?", (article_id,))

    # -- reads ----------------------------------------------------------------------------------
    def articles(self) -> dict[str, str]:
        """Indexed article ids with the content hash they were indexed at."""
        with self._lock:
            return dict(self._db.execute("SELECT article_id, content_hash FROM articles").fetchall())

    def published_span(self, search_filter: SearchFilter | None = None) -> DateRange | None:
        """First and last publication day of the indexed chunks (in the filter's range); None if undated."""
        with self._lock:
            first, last = self._db.execute(
                "SELECT min(day), max(day) FROM chunks WHERE day BETWEEN ? AND ?", _day_bounds(search_filter)
            ).fetchone()
        if first is None:
            return None
        return DateRange(from_day_number(int(first)), from_day_number(int(last)))

    def undated_articles(self, search_filter: SearchFilter | None = None) -> int:
        """How many indexed articles have no publication date (none pass a filter on dates)."""
        if search_filter is not None and search_filter.published is not None:
            return 0  # an undated article never passes a date range, as in every search
        with self._lock:
            (count,) = self._db.execute(
                "SELECT count(DISTINCT article_id) FROM chunks WHERE day IS NULL"
            ).fetchone()
        return int(count)

    def search(self, query: str, k: int, search_filter: SearchFilter | None = None) -> list[KeywordHit]:
        """The `k` chunks with the highest BM25 score for `query` (score > 0) that pass the filter."""
        with self._lock:
            self._build_if_changed()
            model, chunk_ids, days = self._model, self._chunk_ids, self._days
        if model is None:
            return []
        words = [w for w in keyword_tokens(query) if w in model.vocab_dict]
        if not words:
            return []
        scores = model.get_scores(words)
        if search_filter is not None and search_filter.published is not None:
            # Undated chunks never pass a date range (NaN comparisons are False), as in every store.
            low, high = _day_bounds(search_filter)
            scores = np.where((days >= low) & (days <= high), scores, 0.0)
        return [KeywordHit(chunk_ids[i], float(scores[i])) for i in _top_positive(scores, k)]

    def _build_if_changed(self) -> None:
        if self._generation() == self._built_at:
            return
        self._db.execute("BEGIN")  # one snapshot for ids, words and generation: a writer may commit meanwhile
        try:
            generation = self._generation()
            rows = self._db.execute("SELECT chunk_id, day FROM chunks ORDER BY chunk_id").fetchall()
            model = self._load(generation) if rows else None
            if rows and model is None:
                words = self._db.execute("SELECT words FROM chunks ORDER BY chunk_id").fetchall()
                model = build_bm25([row[0].split() for row in words])
                self._save(model, generation)
        finally:
            self._db.execute("COMMIT")
        self._chunk_ids = [row[0] for row in rows]
        self._days = np.array([np.nan if row[1] is None else row[1] for row in rows], dtype=float)
        self._model = model
        self._built_at = generation

    def generation(self) -> str:
        """Changes with every committed write, by any process: how readers notice others' writes."""
        with self._lock:
            return self._generation()

    def _generation(self) -> str:
        version = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        return f"{version['file']}-{version['generation']}"  # a recreated file starts anew

    def _load(self, generation: str) -> Any:
        """The matrix a process saved for this very generation of the words, if there is one."""
        if self._saved is None or not (self._saved / f"generation-{generation}").exists():
            return None
        import bm25s

        try:
            return bm25s.BM25.load(str(self._saved), show_progress=False)
        except (OSError, ValueError):  # half-written by a process that was killed: build it again
            return None

    def _save(self, model: Any, generation: str) -> None:
        if self._saved is None:
            return
        # Written aside and renamed into place: a reader never sees a half-saved matrix; when another
        # process saves it at the same moment, theirs is as good.
        with directory_atomically(self._saved) as staging:
            model.save(str(staging), show_progress=False)
            (staging / f"generation-{generation}").touch()


def _top_positive(scores: np.ndarray, k: int) -> np.ndarray:
    """Indexes of the `k` highest positive scores, best first; ties keep index order, so runs repeat.

    Only the few chunks holding a query word score above 0, and only k of them are wanted: sorting
    those few instead of every chunk keeps a search at 100k chunks from spending its time sorting.
    """
    positive = np.flatnonzero(scores > 0)
    if len(positive) > k:
        kth_best = np.partition(scores[positive], len(positive) - k)[len(positive) - k]
        positive = positive[scores[positive] >= kth_best]  # all tied with the k-th stay: sorted below
    return positive[np.argsort(-scores[positive], kind="stable")][:k]


def _day_bounds(search_filter: SearchFilter | None) -> tuple[int, int]:
    """The filter's first and last day as YYYYMMDD numbers; an open end is the earliest or latest day."""
    dates = search_filter.published if search_filter else None
    low = day_number(dates.start) if dates and dates.start else day_number(date.min)
    high = day_number(dates.end) if dates and dates.end else day_number(date.max)
    return low, high


def sync(
    index: KeywordIndex, records: Sequence[ArticleRecord], read_chunks: Callable[[], Iterable[Chunk]]
) -> int:
    """Make `index` hold exactly the store's articles (`records`); returns how many articles were redone.

    Called when a store opens its keyword index: an index file deleted, left behind by a crash between
    the two writes, or made by an older version is rebuilt from what the store holds.
    """
    indexed = index.articles()
    wanted: Mapping[str, ArticleRecord] = {r.id: r for r in records}
    stale = {i for i, r in wanted.items() if indexed.get(i) != r.content_hash}
    for gone in set(indexed) - set(wanted):
        index.delete_article(gone)
    if stale:
        by_article: dict[str, list[Chunk]] = {}
        for chunk in read_chunks():
            if chunk.article_id in stale:
                by_article.setdefault(chunk.article_id, []).append(chunk)
        index.replace_many((wanted[i], wanted[i].content_hash, by_article.get(i, [])) for i in sorted(stale))
    return len(stale)
