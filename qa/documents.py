"""The plain data that flows between pipeline stages: raw records, cleaned articles, chunks, hits, filters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from qa.errors import InvalidDateError
from qa.text.dates import check_day, parse_date

# The fewest characters of text an article has: cleaning rejects less, and a feed's summary shorter
# than this does not stand in for its page.
MIN_TEXT_CHARS = 20


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
class Note:
    """Something a person should know about an article that did go in (its text came from a feed's
    summary because the page could not be fetched, say)."""

    origin: str
    text: str


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

    def info(self) -> ArticleInfo:
        """What each of its chunks will carry about it."""
        return ArticleInfo(
            id=self.id,
            title=self.title,
            url=self.url,
            published=self.published,
            source=self.source,
            authors=self.authors,
        )


@dataclass(frozen=True)
class Chunk:
    """A passage of an article; `article.text[start:end] == text`."""

    id: str
    article_id: str
    index: int
    text: str
    start: int
    end: int


@dataclass(frozen=True, kw_only=True)
class ArticleInfo:
    """What every chunk knows of its article: enough to show it as a source and to cite it."""

    id: str
    title: str
    url: str | None = None
    published: str | None = None  # ISO date (YYYY-MM-DD) when known
    source: str | None = None  # the outlet
    authors: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ArticleRecord(ArticleInfo):
    """The registry entry of a fully indexed article (no text): shown by `qa list`, used for idempotency."""

    origin: str
    content_hash: str
    chunks: int


@dataclass(frozen=True)
class ScoredChunk:
    """A retrieved chunk with its article's info and cosine similarity to the query."""

    chunk: Chunk
    article: ArticleInfo
    score: float


@dataclass(frozen=True)
class DateRange:
    """Published from `start` to `end`, both days included; either end may be open."""

    start: date | None = None
    end: date | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise InvalidDateError(
                f"the date range ends ({self.end}) before it starts ({self.start}); swap the two dates"
            )

    @classmethod
    def parse(
        cls,
        since: str | None,
        until: str | None,
        *,
        labels: tuple[str, str] = ("--since", "--until"),
    ) -> DateRange | None:
        """A range from two typed `YYYY-MM-DD` bounds (blank means open); None when both are blank."""
        since, until = (since or "").strip(), (until or "").strip()
        if not since and not until:
            return None
        start = check_day(since, labels[0]) if since else None
        end = check_day(until, labels[1]) if until else None
        return cls(start, end)

    def includes(self, published: str | date | None) -> bool:
        """Whether an article published on `published` (or that day) is in range (an undated one never is)."""
        day = parse_date(published)
        if day is None:
            return False
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)

    @property
    def since(self) -> str | None:
        """The first day as YYYY-MM-DD (None when open)."""
        return self.start.isoformat() if self.start else None

    @property
    def until(self) -> str | None:
        """The last day as YYYY-MM-DD (None when open)."""
        return self.end.isoformat() if self.end else None

    def __str__(self) -> str:
        return f"{self.since or '…'} – {self.until or '…'}"


@dataclass(frozen=True)
class SearchFilter:
    """Which chunks a search may return, said without any store's query dialect; each store translates it."""

    published: DateRange | None = None

    def matches(self, article: ArticleInfo) -> bool:
        """Whether a chunk of `article` passes the filter."""
        return self.published is None or self.published.includes(article.published)
