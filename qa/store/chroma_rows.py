"""How articles and chunks are written as Chroma rows and read back: metadata fields and filters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from qa.documents import Article, ArticleInfo, ArticleRecord, Chunk, SearchFilter
from qa.text.dates import day_number, parse_date

if TYPE_CHECKING:
    from qa.store import ArticleWrite


def where(search_filter: SearchFilter | None) -> dict[str, Any] | None:
    """The filter in Chroma's `where` dialect (published dates as YYYYMMDD integers)."""
    dates = search_filter.published if search_filter else None
    if dates is None:
        return None
    bounds: list[dict[str, Any]] = []
    if dates.start is not None:
        bounds.append({"published_day": {"$gte": day_number(dates.start)}})
    if dates.end is not None:
        bounds.append({"published_day": {"$lte": day_number(dates.end)}})
    if not bounds:
        return None
    return bounds[0] if len(bounds) == 1 else {"$and": bounds}


def article_metadata(article: Article) -> dict[str, str | int]:
    """Article fields every chunk carries (Chroma metadata takes no None: absent keys mean unknown)."""
    meta: dict[str, str | int] = {"title": article.title}
    optional: dict[str, str | None] = {
        "url": article.url,
        "published": article.published,
        "source": article.source,
        "authors": "; ".join(article.authors) or None,
    }
    meta.update({key: value for key, value in optional.items() if value})
    day = parse_date(article.published)
    if day is not None:
        meta["published_day"] = day_number(day)
    return meta


def chunk_from(chunk_id: str, text: str, meta: Mapping[str, Any]) -> Chunk:
    """A chunk from its stored row."""
    return Chunk(
        id=chunk_id,
        article_id=str(meta["article_id"]),
        index=int(meta["index"]),
        text=text,
        start=int(meta["start"]),
        end=int(meta["end"]),
    )


def info_from_metadata(article_id: str, meta: Mapping[str, Any]) -> ArticleInfo:
    """The article fields a chunk row carries."""
    authors = str(meta.get("authors") or "")
    return ArticleInfo(
        id=article_id,
        title=str(meta.get("title", "")),
        url=meta.get("url"),
        published=meta.get("published"),
        source=meta.get("source"),
        authors=tuple(a for a in authors.split("; ") if a),
    )


def record_from_metadata(article_id: str, meta: Mapping[str, Any]) -> ArticleRecord:
    """A registry entry from its stored row."""
    info = info_from_metadata(article_id, meta)
    return ArticleRecord(
        **vars(info),
        origin=str(meta.get("origin", "")),
        content_hash=str(meta.get("content_hash", "")),
        chunks=int(meta.get("chunks", 0)),
    )


class ChunkRow(NamedTuple):
    """One chunk as Chroma stores it."""

    id: str
    embedding: list[float]
    text: str
    metadata: dict[str, str | int]


def chunk_rows(writes: Sequence[ArticleWrite]) -> list[ChunkRow]:
    """The chunk rows of these articles, each with its article's fields and its own position."""
    rows = []
    for article, chunks, embeddings in writes:
        shared = article_metadata(article)
        for chunk, embedding in zip(chunks, embeddings, strict=True):
            position: dict[str, str | int] = {
                "article_id": chunk.article_id,
                "index": chunk.index,
                "start": chunk.start,
                "end": chunk.end,
            }
            rows.append(ChunkRow(chunk.id, list(embedding), chunk.text, {**shared, **position}))
    return rows


def registry_metadata(write: ArticleWrite) -> dict[str, str | int]:
    """What the registry keeps about a fully written article."""
    article = write.article
    return {
        **article_metadata(article),
        "origin": article.origin,
        "content_hash": article.content_hash,
        "chunks": len(write.chunks),
    }
