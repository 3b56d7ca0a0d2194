"""Keyword search kept beside a store: BM25 (as bm25s scores it) over each chunk's words and its headline.

The words of every chunk are kept in SQLite (a file beside the embedded Chroma database, or in memory),
written in the same step as the chunks and removed with them, so the keyword side is never re-read from
the store per query. Each chunk row gets a sequence number that is never reused, and a removed chunk's
number is logged: a search catches up with the writes since it last looked (the chunks above its
number, the removals after its place in the log) by adding a small segment of term counts and masking
out the removed chunks (`qa.store.keyword_segments`), so a small ingest costs what it writes, not a
rebuild of the whole matrix. Tokenizing, the slow part, is done once per chunk, at ingest; the merged
base is saved next to the file, so the next process loads it and reads only the writes made since.
Every write bumps a generation number in the same transaction: a search sees another process's writes
(`qa ingest` while `qa serve` runs) by reading it, and `sync` rebuilds the words from the store when
they are missing or stale.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from qa.documents import ArticleInfo, ArticleRecord, Chunk, DateRange, SearchFilter
from qa.store.keyword_segments import Segment, Segments, count_terms
from qa.text.dates import day_number, from_day_number, parse_date
from qa.text.words import keyword_tokens

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, chunk_id TEXT NOT NULL UNIQUE, article_id TEXT NOT NULL,
    day INTEGER, words TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS removed (at INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_by_article ON chunks (article_id);
CREATE INDEX IF NOT EXISTS chunks_by_day ON chunks (day);
CREATE TABLE IF NOT EXISTS articles (article_id TEXT PRIMARY KEY, content_hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('generation', 0);
INSERT OR IGNORE INTO meta VALUES ('file', abs(random()));
"""
_BUMP = "UPDATE meta SET value = value + 1 WHERE key = 'generation'"
_CATCH_UP_BATCH = 50_000  # chunk rows read and counted at a time: bounds memory when reading them all


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
        _drop_older_layout(self._db)
        self._db.executescript(_SCHEMA)
        self._saved = path.with_suffix(".bm25") if path is not None else None
        self._lock = threading.Lock()
        self._seen: str | None = None  # the generation `_segments` holds
        self._segments = Segments.empty(file=-1)
        self.merges = 0  # how many times this object folded its segments into a new base (tests, bench)

    # -- writes (called by the store, in the same step as its own) -------------------------------
    def replace_many(self, items: Iterable[tuple[ArticleInfo, str, Sequence[Chunk]]]) -> None:
        """Forget what was indexed under each article's id, then index its chunks: one transaction."""
        with self._lock, self._db:
            for info, content_hash, chunks in items:
                self._forget(info.id)
                day = parse_date(info.published)
                self._db.executemany(
                    "INSERT INTO chunks (chunk_id, article_id, day, words) VALUES (?, ?, ?, ?)",
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
            self._db.executescript("DELETE FROM chunks; DELETE FROM articles; DELETE FROM removed;")
            # A new file id: every process drops what it holds, and the saved base no longer applies.
            self._db.execute("UPDATE meta SET value = abs(random()) WHERE key = 'file'")
            self._db.execute(_BUMP)

    def _forget(self, article_id: str) -> None:
        # Logged so that a reader holding these chunks masks them out (`_caught_up`).
        self._db.execute(
            "INSERT INTO removed (seq) SELECT seq FROM chunks WHERE article_id = ?", (article_id,)
        )
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
            segments = self._caught_up()
        scores = segments.scores(keyword_tokens(query))  # outside the lock: `segments` never changes
        if search_filter is not None and search_filter.published is not None:
            # Undated chunks never pass a date range (NaN comparisons are False), as in every store.
            low, high = _day_bounds(search_filter)
            days = segments.days
            scores = np.where((days >= low) & (days <= high), scores, 0.0)
        ids = segments.ids
        return [KeywordHit(ids[i], float(scores[i])) for i in _top_positive(scores, k, ids)]

    def segments(self) -> Segments:
        """The BM25 data as of the last committed write (the bench reads its size)."""
        with self._lock:
            return self._caught_up()

    def _caught_up(self) -> Segments:
        """`_segments` with every write committed since it was made: a new segment, removals masked."""
        if self._generation() == self._seen:
            return self._segments
        self._db.execute("BEGIN")  # one snapshot for rows, log and generation: a writer may commit meanwhile
        try:
            generation = self._generation()
            file = int(generation.split("-")[0])
            segments = self._segments if self._segments.file == file else self._opened(file)
            removed = self._db.execute(
                "SELECT at, seq FROM removed WHERE at > ? ORDER BY at", (segments.removed_at,)
            ).fetchall()
            cursor = self._db.execute(
                "SELECT seq, chunk_id, day, words FROM chunks WHERE seq > ? ORDER BY seq", (segments.seq,)
            )
            added: list[Segment] = []
            while rows := cursor.fetchmany(_CATCH_UP_BATCH):
                added.append(count_terms(rows, segments.vocabulary))
        finally:
            self._db.execute("COMMIT")
        removed_at = removed[-1][0] if removed else segments.removed_at
        seq = int(added[-1].seqs[-1]) if added else segments.seq
        segments = segments.updated([row[1] for row in removed], removed_at, added, seq)
        if segments.needs_merge():
            segments = segments.merged()
            self.merges += 1
            if self._saved is not None:
                segments.save(self._saved)
        self._segments, self._seen = segments, generation
        return segments

    def _opened(self, file: int) -> Segments:
        """What another process saved for this file, if anything: the writes since are read on top."""
        saved = Segments.load(self._saved, file) if self._saved is not None else None
        return saved or Segments.empty(file)

    def generation(self) -> str:
        """Changes with every committed write, by any process: how readers notice others' writes."""
        with self._lock:
            return self._generation()

    def _generation(self) -> str:
        version = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        return f"{version['file']}-{version['generation']}"  # a recreated or reset file starts anew


def _drop_older_layout(db: sqlite3.Connection) -> None:
    """Drop tables written by a version without chunk sequence numbers: `sync` indexes the store again."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(chunks)")}
    if columns and "seq" not in columns:
        db.executescript("DROP TABLE chunks; DROP TABLE IF EXISTS articles; DROP TABLE IF EXISTS meta;")


def _top_positive(scores: np.ndarray, k: int, ids: Sequence[str]) -> list[int]:
    """Indexes of the `k` highest positive scores, best first; ties go in chunk id order, so runs repeat
    (and equal a matrix built over the chunks in id order, whatever order they were written in).

    Only k chunks are wanted: the k-th best score is found by a partition of the scores (no sort), and
    only the chunks at or above it are sorted. A common question word is in most chunks, so the scores
    are partitioned whole rather than the positive ones picked out first (a copy of most of them).
    """
    kth_best = np.partition(scores, len(scores) - k)[len(scores) - k] if 0 < k < len(scores) else 0
    # All tied with the k-th stay (sorted below); with k or fewer positive scores, all of those.
    positive = np.flatnonzero(scores >= kth_best) if kth_best > 0 else np.flatnonzero(scores > 0)
    candidates, best = positive.tolist(), scores[positive].tolist()
    order = sorted(range(len(best)), key=lambda j: (-best[j], ids[candidates[j]]))
    return [candidates[j] for j in order[:k]]


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
