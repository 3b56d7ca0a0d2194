"""The plain data that flows between pipeline stages: raw records, cleaned articles, chunks, hits."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RawArticle:
    """One article as a loader found it, before cleaning: text plus whatever metadata the file had."""

    text: str
    origin: str  # file path, plus `#N` for the N-th record of a multi-record file
    title: str | None = None
    url: str | None = None
    published: str | None = None  # ISO date (YYYY-MM-DD) when known
    authors: tuple[str, ...] = ()
    source: str | None = None  # the outlet: Reuters, CNN, ...
    id: str | None = None  # an id the record brought with it (JSON `id`)
    single_article_file: bool = True  # False for rows of JSON/JSONL/CSV files


@dataclass(frozen=True)
class Rejected:
    """A file or record that could not be loaded or cleaned, with the reason a person can act on."""

    origin: str
    reason: str


@dataclass(frozen=True)
class Article:
    """A cleaned article, ready to chunk: `text` is exactly what chunk offsets point into."""

    id: str
    text: str
    title: str
    origin: str
    content_hash: str  # changes whenever text or metadata change
    url: str | None = None
    published: str | None = None
    authors: tuple[str, ...] = ()
    source: str | None = None
    single_article_file: bool = True
    dropped_lines: tuple[str, ...] = field(default=(), compare=False)  # boilerplate left out


@dataclass(frozen=True)
class Chunk:
    """A passage of an article; `article.text[start:end] == text`."""

    id: str
    article_id: str
    index: int
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class ArticleRecord:
    """What the store knows of an indexed article (no text): shown by `qa list`, used for idempotency."""

    id: str
    title: str
    origin: str
    content_hash: str
    chunks: int
    url: str | None = None
    published: str | None = None
    source: str | None = None
    authors: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScoredChunk:
    """A retrieved chunk with its article's metadata and cosine similarity to the query."""

    chunk: Chunk
    article: ArticleRecord
    score: float
