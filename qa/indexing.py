"""The ingest pipeline: load -> clean -> chunk -> embed -> store, one writer at a time, idempotent.

The duplicate policy lives here, explicitly: an article whose content hash is already indexed is
unchanged and embeds nothing; a known id with another hash is replaced, all its chunks at once; a file
that used to hold another article (an edited plain-text file) has the old one removed. A bad file is
reported and skipped, never fatal.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from qa.chunking import ChunkingConfig, chunk_article
from qa.cleaning import canonical_url, clean_article
from qa.documents import Article, Chunk, Rejected
from qa.embedding import Embedder
from qa.errors import IndexBusyError
from qa.loaders import iter_raw_articles
from qa.results import DeletedArticle, IngestReport
from qa.settings import Settings
from qa.store import Store

log = logging.getLogger(__name__)

# Chunks embedded per model call, across articles: small articles batch together, and each call sorts its
# texts by length, so a bigger call pads less (dev set: 7.7 % of tokens padding at 64, 3.6 % at 256).
EMBED_BATCH_CHUNKS = 256
HEADLINE_TOKENS = 32  # word pieces of the headline embedded with each chunk (a longer one is cut)


def chunking_config(settings: Settings, embedder: Embedder) -> ChunkingConfig:
    """The chunking actually used: the settings, capped at what the embedding model can read."""
    readable = embedder.max_tokens - (HEADLINE_TOKENS if settings.chunk_headline else 0)
    max_tokens = min(settings.chunk_tokens, readable)
    return ChunkingConfig(
        max_tokens=max_tokens, overlap_tokens=min(settings.chunk_overlap_tokens, max_tokens - 1)
    )


def index_config(settings: Settings, embedder: Embedder) -> dict[str, str | int]:
    """The settings an index is bound to: vectors and chunks made otherwise must not be mixed in."""
    chunking = chunking_config(settings, embedder)
    config: dict[str, str | int] = {
        "embedding_model": embedder.name,
        "embedding_dimension": embedder.dimension,
        "chunk_tokens": chunking.max_tokens,
        "chunk_overlap_tokens": chunking.overlap_tokens,
    }
    if settings.chunk_headline:
        # Absent rather than "none" when off, so that indexes built before the setting existed still open.
        config["chunk_context"] = "headline"
    return config


def embedding_texts(
    article: Article, chunks: list[Chunk], settings: Settings, embedder: Embedder
) -> list[str]:
    """What is embedded for each chunk: its headline first, so a passage deep in a story knows the story."""
    if not settings.chunk_headline:
        return [c.text for c in chunks]
    pieces = embedder.token_offsets(article.title)[:HEADLINE_TOKENS]
    headline = article.title[: pieces[-1][1]] if pieces else ""
    return [f"{headline}\n{c.text}" if headline else c.text for c in chunks]


@contextlib.contextmanager
def write_lock(settings: Settings) -> Iterator[None]:
    """Hold the data dir's lock file for the duration of a write; wait `lock_timeout_s` (saying for
    whom), then fail."""
    from filelock import FileLock, Timeout

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(settings.lock_path))
    holder_file = settings.lock_path.with_name(settings.lock_path.name + ".holder")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        holder = _read_holder(holder_file)
        # Waiting in silence looks like a hang: say who holds the lock and for how long we wait.
        log.warning("waiting up to %.0fs for the ingest lock held by %s", settings.lock_timeout_s, holder)
        try:
            lock.acquire(timeout=settings.lock_timeout_s)
        except Timeout:
            raise IndexBusyError(
                f"another ingest or delete ({holder}) is writing to {settings.data_dir} (lock file "
                f"{settings.lock_path}); waited {settings.lock_timeout_s:.0f}s. Try again when it has "
                "finished, or wait longer with QA_LOCK_TIMEOUT_S."
            ) from None
    try:
        command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:2]]) if sys.argv else "python"
        holder_file.write_text(f"PID {os.getpid()} ({command})")
        yield
    finally:
        holder_file.unlink(missing_ok=True)
        lock.release()


def _read_holder(holder_file: Path) -> str:
    try:
        return holder_file.read_text().strip() or "another process"
    except OSError:
        return "another process"


@dataclass
class _Pending:
    article: Article
    chunks: list[Chunk]
    outcome: str  # "added" or "replaced"
    vectors: list[list[float]] = field(default_factory=list)  # filled batch by batch


def ingest(
    paths: Iterable[Path],
    settings: Settings,
    embedder: Embedder,
    store: Store,
    *,
    progress: bool = True,
) -> IngestReport:
    """Index every article under `paths`; returns what was added, unchanged, replaced and rejected."""
    started = time.perf_counter()
    report = IngestReport()
    with write_lock(settings):
        store.check_config(index_config(settings, embedder))
        articles = _read_articles(paths, report, progress, settings.max_article_chars)
        pending = _changed_articles(articles, chunking_config(settings, embedder), embedder, store, report)
        _embed_and_write(pending, settings, embedder, store, report, progress)
    report.seconds = time.perf_counter() - started
    return report


def _read_articles(
    paths: Iterable[Path], report: IngestReport, progress: bool, max_chars: int
) -> list[Article]:
    """Load and clean everything first, so the embedding bar below knows its total; articles over
    `max_chars` are rejected (a plain-text file that big is not even read)."""
    from tqdm import tqdm

    articles: list[Article] = []
    # Absolute origins: an edited file is recognised whichever directory the next ingest runs from.
    paths = [Path(p).expanduser().absolute() for p in paths]
    with tqdm(desc="Reading", unit="article", disable=not progress, file=sys.stderr) as bar:
        for item in iter_raw_articles(paths, max_text_file_bytes=4 * max_chars):
            cleaned = item if isinstance(item, Rejected) else _within_limit(clean_article(item), max_chars)
            if isinstance(cleaned, Rejected):
                report.rejected.append(cleaned)
            else:
                articles.append(cleaned)
            bar.update(1)
    return articles


def _within_limit(article: Article | Rejected, max_chars: int) -> Article | Rejected:
    if isinstance(article, Rejected) or len(article.text) <= max_chars:
        return article
    return Rejected(
        article.origin,
        f"article is too long: {len(article.text):,} characters, the limit is {max_chars:,} "
        "(QA_MAX_ARTICLE_CHARS); split it into separate articles",
    )


def _changed_articles(
    articles: list[Article], chunking: ChunkingConfig, embedder: Embedder, store: Store, report: IngestReport
) -> list[_Pending]:
    """The duplicate policy: skip what is indexed unchanged, chunk what is new or changed."""
    pending: list[_Pending] = []
    seen: set[str] = set()
    for article in articles:
        if article.id in seen:
            report.rejected.append(
                Rejected(article.origin, f"duplicate of article {article.id} in this ingest")
            )
            continue
        seen.add(article.id)
        existing = store.get_article(article.id)
        if existing is not None and existing.content_hash == article.content_hash:
            report.unchanged.append(article.id)
            continue
        chunks = chunk_article(article, chunking, embedder.token_offsets)
        if not chunks:
            report.rejected.append(Rejected(article.origin, "no text left to index after cleaning"))
            continue
        pending.append(_Pending(article, chunks, "added" if existing is None else "replaced"))
    return pending


def _embed_and_write(
    pending: list[_Pending],
    settings: Settings,
    embedder: Embedder,
    store: Store,
    report: IngestReport,
    progress: bool,
) -> None:
    """Embed in batches across articles, writing each article as soon as its vectors are there."""
    from tqdm import tqdm

    total_chunks = sum(len(p.chunks) for p in pending)
    with tqdm(
        total=total_chunks,
        desc="Embedding",
        unit="chunk",
        disable=not progress or not total_chunks,
        file=sys.stderr,
    ) as bar:
        for batch in _batches(pending, EMBED_BATCH_CHUNKS):
            texts = [
                text
                for item, start, end in batch
                for text in embedding_texts(item.article, item.chunks[start:end], settings, embedder)
            ]
            vectors = embedder.embed(texts)
            offset = 0
            for item, start, end in batch:
                item.vectors.extend(vectors[offset : offset + end - start])
                offset += end - start
                bar.update(end - start)
                if end == len(item.chunks):  # the article's last slice: write it whole, then let it go
                    _write(store, item, item.vectors, report)
                    item.vectors = []


def _batches(pending: list[_Pending], max_chunks: int) -> Iterator[list[tuple[_Pending, int, int]]]:
    """Slices (article, first chunk, end) of at most `max_chunks` chunks in all: small articles share a
    batch, a long one is spread over several, so memory and the progress bar never wait on one article."""
    batch: list[tuple[_Pending, int, int]] = []
    size = 0
    for item in pending:
        start = 0
        while start < len(item.chunks):
            end = min(len(item.chunks), start + max_chunks - size)
            batch.append((item, start, end))
            size += end - start
            start = end
            if size >= max_chunks:
                yield batch
                batch, size = [], 0
    if batch:
        yield batch


def _write(store: Store, item: _Pending, vectors: list[list[float]], report: IngestReport) -> None:
    article = item.article
    if article.single_article_file:
        # An edited text file gets a new content-hash id: the version it replaces goes.
        for older in store.articles_from_origin(article.origin):
            if older.id != article.id:
                store.delete_article(older.id)
                report.removed.append(older.id)
    store.write_article(article, item.chunks, vectors)
    report.chunks_written += len(item.chunks)
    getattr(report, item.outcome).append(article.id)


def delete(settings: Settings, store: Store, id_or_url: str) -> DeletedArticle | None:
    """Remove an article by id or URL (canonicalised); None when no indexed article has it."""
    with write_lock(settings):
        candidates = [id_or_url]
        if "://" in id_or_url:
            canonical = canonical_url(id_or_url)
            candidates += [a.id for a in store.list_articles() if a.url and canonical_url(a.url) == canonical]
        for article_id in candidates:
            record = store.get_article(article_id)
            if record is not None:
                return DeletedArticle(article_id, record.title, store.delete_article(article_id))
    return None


def reset(settings: Settings, store: Store) -> None:
    """Drop the whole index, waiting for any writer to finish first."""
    with write_lock(settings):
        store.reset()
