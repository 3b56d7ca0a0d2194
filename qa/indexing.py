"""The ingest pipeline: load -> clean -> chunk -> embed -> store, one writer at a time, idempotent.

The duplicate policy lives here, explicitly: an article whose content hash is already indexed is
unchanged and embeds nothing; a known id with another hash is replaced, all its chunks at once; a file
that used to hold another article (an edited plain-text file) has the old one removed. A bad file is
reported and skipped, never fatal.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from qa.chunking import ChunkingConfig, chunk_article
from qa.cleaning import clean_article
from qa.documents import Article, Chunk, RawArticle, Rejected
from qa.embedding import Embedder, embedder_name
from qa.loaders import iter_raw_articles
from qa.loaders.fetch.config import FetchConfig
from qa.loaders.fetch.remote import Fetched, fetch_sources, is_remote
from qa.loaders.fetch.urls import canonical_url, is_url
from qa.locking import write_lock
from qa.progress import Progress, progress_bar
from qa.results import DeletedArticle, IngestReport
from qa.settings import Settings, config_record
from qa.store import ArticleWrite, Store

log = logging.getLogger(__name__)

# Chunks embedded per model call, across articles: small articles batch together, and each call sorts its
# texts by length, so a bigger call pads less (dev set: 7.7 % of tokens padding at 64, 3.6 % at 256).
EMBED_BATCH_CHUNKS = 256
# Chunks written to the store per call, across articles: one call per article made a large ingest wait
# on store round trips (13 articles/s at 90k chunks with a free embedder); a crash loses at most this
# much embedding work, and never leaves an article half-indexed (the store registers a batch last).
WRITE_BATCH_CHUNKS = 512
# Articles read, checked, chunked and embedded at a time: an ingest holds one window of text, chunks
# and vectors, so its memory does not grow with the corpus (a 50 MB JSONL file of articles, say).
INGEST_WINDOW_ARTICLES = 500
HEADLINE_TOKENS = 32  # word pieces of the headline embedded with each chunk (a longer one is cut)


def chunking_config(settings: Settings, embedder: Embedder) -> ChunkingConfig:
    """The chunking actually used: the settings, capped at what the embedding model can read."""
    readable = embedder.max_tokens - (HEADLINE_TOKENS if settings.chunk_headline else 0)
    max_tokens = min(settings.chunk_tokens, readable)
    return ChunkingConfig(
        max_tokens=max_tokens, overlap_tokens=min(settings.chunk_overlap_tokens, max_tokens - 1)
    )


@dataclass(frozen=True)
class IndexConfig:
    """What an index is bound to (recorded on it): vectors and chunks made otherwise must not be mixed in."""

    embedding_model: str
    embedding_dimension: int
    chunk_tokens: int  # as used: capped at what the model reads
    chunk_overlap_tokens: int
    chunk_context: str | None  # "headline"; None is not recorded, so older indexes still open

    @classmethod
    def build(cls, settings: Settings, embedder: Embedder) -> IndexConfig:
        """The index config of `settings` with this embedder (its name, dimension and length cap)."""
        chunking = chunking_config(settings, embedder)
        context = "headline" if settings.chunk_headline else None
        return cls(embedder.name, embedder.dimension, chunking.max_tokens, chunking.overlap_tokens, context)

    def to_dict(self) -> dict[str, str | int]:
        """The fingerprint recorded on the index: every field that is set."""
        return {name: value for name, value in config_record(self).items() if value is not None}


def index_config(settings: Settings, embedder: Embedder) -> dict[str, str | int]:
    """The fingerprint an index built with `settings` and `embedder` records (`IndexConfig.to_dict`)."""
    return IndexConfig.build(settings, embedder).to_dict()


def embedding_texts(
    article: Article, chunks: list[Chunk], settings: Settings, embedder: Embedder
) -> list[str]:
    """What is embedded for each chunk: its headline first, so a passage deep in a story knows the story."""
    if not settings.chunk_headline:
        return [c.text for c in chunks]
    pieces = embedder.token_offsets(article.title)[:HEADLINE_TOKENS]
    headline = article.title[: pieces[-1][1]] if pieces else ""
    return [f"{headline}\n{c.text}" if headline else c.text for c in chunks]


def _built_with(stored: Mapping[str, object], settings: Settings) -> bool:
    """Was the index built with exactly the settings' model and chunking? Then nothing unchanged needs
    the model loaded to be checked. Otherwise `index_config` decides, with the model (a value capped
    at what the model reads may still match)."""
    return bool(stored) and (
        stored.get("embedding_model") == embedder_name(settings)
        and stored.get("chunk_tokens") == settings.chunk_tokens
        and stored.get("chunk_overlap_tokens") == settings.chunk_overlap_tokens
        and ("chunk_context" in stored) == settings.chunk_headline
    )


@dataclass
class _Pending:
    article: Article
    chunks: list[Chunk]
    outcome: str  # "added" or "replaced"
    vectors: list[list[float]] = field(default_factory=list)  # filled batch by batch


def ingest(
    sources: Iterable[Path | str],
    settings: Settings,
    embedder: Callable[[], Embedder],
    store: Store,
    *,
    progress: bool = True,
    cancel: threading.Event | None = None,
) -> IngestReport:
    """Index every article under `sources` (files, folders, page and feed URLs, feed files); returns what
    was added, unchanged, replaced and rejected. `embedder` is called only when something is to be
    embedded: re-ingesting an unchanged corpus never loads the model (most of its time otherwise).
    Setting `cancel` (from any thread) stops fetching: what was fetched by then is indexed."""
    started = time.perf_counter()
    report = IngestReport()
    sources = list(sources)
    # Absolute origins: an edited file is recognised whichever directory the next ingest runs from.
    paths = [Path(s).expanduser().absolute() for s in sources if not is_remote(s)]
    remote = [s for s in sources if is_remote(s)]
    with _Progress(progress) as bars:
        run = _Run(settings, embedder, store, report, bars)
        if paths or not remote:
            with write_lock(settings):
                run.index(iter_raw_articles(paths, max_text_file_bytes=4 * settings.max_article_chars))
        if remote:
            # Fetched a batch at a time, before the lock is taken (another writer does not wait on the
            # network); each batch is indexed, and what its URLs gave remembered, before the next is
            # fetched, so an ingest killed mid-feed keeps what it had fetched.
            done: set[str] = set()  # links whose articles are in, across batches

            def indexed(article_id: str) -> bool:
                return store.get_article(article_id) is not None

            for batch in fetch_sources(
                remote, FetchConfig.from_settings(settings), indexed, progress=progress, cancel=cancel
            ):
                with write_lock(settings):
                    origins = run.index(batch.items)
                    _remember_fetched(batch, origins, report, settings, done)
    report.seconds = time.perf_counter() - started
    return report


class _Run:
    """One ingest's indexing, called once for the files and once per batch of fetched pages: the model
    is loaded once, and an article met twice in the run is a duplicate whichever call met it."""

    def __init__(
        self,
        settings: Settings,
        embedder: Callable[[], Embedder],
        store: Store,
        report: IngestReport,
        bars: _Progress,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.report = report
        self.bars = bars
        self.model: Embedder | None = None
        self.seen: set[str] = set()
        self._built_with_settings: bool | None = None

    def index(self, items: Iterable[RawArticle | Rejected]) -> dict[str, str]:
        """Clean, check, chunk, embed and store `items` (under the write lock); the origin and id of
        each article read (what each fetched URL gave)."""
        settings, store = self.settings, self.store
        if self._built_with_settings is None:
            self._built_with_settings = _built_with(store.stored_config(), settings)
        origins: dict[str, str] = {}
        articles = _read_articles(items, self.report, self.bars, settings.max_article_chars)
        for window in _windows(articles, INGEST_WINDOW_ARTICLES):
            changed = _changed_articles(window, store, self.report, self.seen)
            if self.model is None and (changed or not self._built_with_settings):
                self.model = self.embedder()
                store.check_config(index_config(settings, self.model))  # other index settings: refused here
            if changed and self.model is not None:
                pending = _chunked(changed, chunking_config(settings, self.model), self.model, self.report)
                _embed_and_write(pending, settings, self.model, store, self.report, self.bars)
            origins.update((article.origin, article.id) for article in window)
        return origins


class _Progress:
    """The progress bars of an ingest: articles read, and chunks embedded (shown only once something is
    embedded, its total growing by window)."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled
        self.reading = progress_bar("Reading", "article", enabled=enabled)
        self._embedding: Progress | None = None

    @property
    def embedding(self) -> Progress:
        """The embedding bar, made on first use: an unchanged re-ingest shows none."""
        if self._embedding is None:
            self._embedding = progress_bar("Embedding", "chunk", total=0, enabled=self._enabled)
        return self._embedding

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.reading.close()
        if self._embedding is not None:
            self._embedding.close()


def _windows(articles: Iterable[Article], size: int) -> Iterator[list[Article]]:
    """`articles` in lists of `size`: an ingest holds one window of cleaned text and chunks at a time."""
    iterator = iter(articles)
    while window := list(itertools.islice(iterator, size)):
        yield window


def _remember_fetched(
    fetched: Fetched, origins: dict[str, str], report: IngestReport, settings: Settings, done: set[str]
) -> None:
    """Add what needed no fetch to the report, and remember what each URL gave (its article is in now);
    `done`: the links whose articles are in, from earlier batches of this ingest (grows)."""
    report.unchanged += fetched.unchanged
    report.not_fetched += fetched.not_fetched
    report.notes += fetched.notes
    indexed = set(report.added) | set(report.replaced) | set(report.unchanged)
    in_index = {origin: i for origin, i in origins.items() if i in indexed}
    fetched.commit(in_index, settings.fetch_state_path, done)


def _read_articles(
    items: Iterable[RawArticle | Rejected], report: IngestReport, bars: _Progress, max_chars: int
) -> Iterator[Article]:
    """Clean the articles as they are read; articles over `max_chars` are rejected (a plain-text file
    that big is not even read)."""
    for item in items:
        cleaned = item if isinstance(item, Rejected) else _within_limit(clean_article(item), max_chars)
        if isinstance(cleaned, Rejected):
            report.rejected.append(cleaned)
        else:
            yield cleaned
        bars.reading.update(1)


def _within_limit(article: Article | Rejected, max_chars: int) -> Article | Rejected:
    if isinstance(article, Rejected) or len(article.text) <= max_chars:
        return article
    return Rejected(
        article.origin,
        f"article is too long: {len(article.text):,} characters, the limit is {max_chars:,} "
        "(QA_MAX_ARTICLE_CHARS); split it into separate articles",
    )


def _changed_articles(
    articles: list[Article], store: Store, report: IngestReport, seen: set[str]
) -> list[tuple[Article, str]]:
    """The duplicate policy: skip what is indexed unchanged; the rest with "added" or "replaced".
    `seen`: the ids met so far in this ingest (a second copy is rejected)."""
    changed: list[tuple[Article, str]] = []
    # One lookup per window (the store splits it into calls its backend accepts).
    indexed = store.get_articles(list(dict.fromkeys(article.id for article in articles)))
    for article in articles:
        if article.id in seen:
            report.rejected.append(
                Rejected(article.origin, f"duplicate of article {article.id} in this ingest")
            )
            continue
        seen.add(article.id)
        existing = indexed.get(article.id)
        if existing is not None and existing.content_hash == article.content_hash:
            report.unchanged.append(article.id)
            continue
        changed.append((article, "added" if existing is None else "replaced"))
    return changed


def _chunked(
    changed: list[tuple[Article, str]], chunking: ChunkingConfig, embedder: Embedder, report: IngestReport
) -> list[_Pending]:
    """Chunk the new and changed articles, measured in the embedding model's tokens."""
    pending: list[_Pending] = []
    for article, outcome in changed:
        chunks = chunk_article(article, chunking, embedder.token_offsets)
        if not chunks:
            report.rejected.append(Rejected(article.origin, "no text left to index after cleaning"))
            continue
        pending.append(_Pending(article, chunks, outcome))
    return pending


def _embed_and_write(
    pending: list[_Pending],
    settings: Settings,
    embedder: Embedder,
    store: Store,
    report: IngestReport,
    bars: _Progress,
) -> None:
    """Embed in batches across articles; store finished articles a few hundred chunks at a time."""
    bars.embedding.total = (bars.embedding.total or 0) + sum(len(p.chunks) for p in pending)
    bars.embedding.refresh()
    finished: list[_Pending] = []
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
            bars.embedding.update(end - start)
            if end == len(item.chunks):  # the article's last slice: it can be written
                finished.append(item)
        if sum(len(item.chunks) for item in finished) >= WRITE_BATCH_CHUNKS:
            _write(store, finished, report)
            finished = []
    _write(store, finished, report)


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


def _write(store: Store, finished: list[_Pending], report: IngestReport) -> None:
    """Store these fully embedded articles in one batch, then let their vectors go."""
    if not finished:
        return
    for item in finished:
        article = item.article
        if article.single_article_file:
            # An edited text file gets a new content-hash id: the version it replaces goes.
            for older in store.articles_from_origin(article.origin):
                if older.id != article.id:
                    store.delete_article(older.id)
                    report.removed.append(older.id)
    store.write_articles([ArticleWrite(item.article, item.chunks, item.vectors) for item in finished])
    for item in finished:
        report.chunks_written += len(item.chunks)
        getattr(report, item.outcome).append(item.article.id)
        item.vectors = []


def delete(settings: Settings, store: Store, id_or_url: str) -> DeletedArticle | None:
    """Remove an article by id or URL (canonicalised); None when no indexed article has it."""
    with write_lock(settings):
        candidates = [id_or_url]
        if is_url(id_or_url):
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
