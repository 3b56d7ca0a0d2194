"""Stage 4b: keep chunks, their vectors and an article registry. `Store` is the seam; Chroma stays inside.

Two Chroma collections per index: `<name>` holds chunks (cosine space) and `<name>-articles` is the
registry of fully written articles. An article enters the registry only after all its chunks are
written, so an interrupted write is simply redone by the next ingest.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from qa.documents import Article, ArticleRecord, Chunk, ScoredChunk

if TYPE_CHECKING:
    from qa.settings import Settings

SCHEMA_VERSION = 1
_CONFIG_PREFIX = "qa_"
_REGISTRY_SUFFIX = "-articles"
_REGISTRY_VECTOR = [1.0]  # the registry is looked up by id and metadata only; Chroma wants a vector


class DuplicatePolicy(enum.Enum):
    """What a write does when the article is already indexed."""

    OVERWRITE = "overwrite"  # replace every chunk of it
    SKIP = "skip"  # keep what is there
    FAIL = "fail"  # raise DuplicateArticleError


class StoreError(RuntimeError):
    """A store problem a person can act on (message says how)."""


class DuplicateArticleError(StoreError):
    """The article is already indexed and the policy was FAIL."""


class IndexMismatchError(StoreError):
    """The collection was built with other index settings (embedding model, chunking)."""


class Store(Protocol):
    """Where chunks and the article registry live."""

    def check_config(self, config: Mapping[str, str | int]) -> None:
        """Record `config` on a new index; raise IndexMismatchError if an existing one differs."""
        ...

    def get_article(self, article_id: str) -> ArticleRecord | None:
        """The registry entry of a fully written article, if any."""
        ...

    def articles_from_origin(self, origin: str) -> list[ArticleRecord]:
        """Articles that were loaded from this file."""
        ...

    def write_article(
        self,
        article: Article,
        chunks: Sequence[Chunk],
        embeddings: Sequence[Sequence[float]],
        policy: DuplicatePolicy,
    ) -> bool:
        """Write all chunks of an article, then register it; False when skipped by the policy."""
        ...

    def delete_article(self, article_id: str) -> int:
        """Remove an article and every chunk of it; returns the number of chunks removed."""
        ...

    def list_articles(self) -> list[ArticleRecord]:
        """Every registered article, ordered by title."""
        ...

    def count_articles(self) -> int:
        """Number of fully written articles."""
        ...

    def count_chunks(self) -> int:
        """Number of chunks stored."""
        ...

    def search(
        self, embedding: Sequence[float], k: int, where: Mapping[str, Any] | None = None
    ) -> list[ScoredChunk]:
        """The `k` chunks nearest to `embedding`, best first, with cosine similarity scores."""
        ...

    def reset(self) -> None:
        """Drop the whole index (both collections)."""
        ...


def create_store(settings: Settings) -> ChromaStore:
    """Embedded Chroma under the data dir, or a Chroma server when `QA_CHROMA_HOST` is set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    # Telemetry off: this product runs offline and must not phone home.
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        client = chromadb.HttpClient(
            host=settings.chroma_host,
            port=settings.chroma_port,
            ssl=settings.chroma_ssl,
            settings=chroma_settings,
        )
    else:
        settings.chroma_path.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
    return ChromaStore(client, settings.collection)


def published_as_int(published: str | None) -> int | None:
    """YYYY-MM-DD as the integer YYYYMMDD, so Chroma can filter date ranges with $gte/$lte."""
    if not published:
        return None
    try:
        day = date.fromisoformat(published[:10])
    except ValueError:
        return None
    return day.year * 10000 + day.month * 100 + day.day


class ChromaStore:
    """The Store on a Chroma client (embedded PersistentClient or HttpClient: same code)."""

    def __init__(self, client: Any, collection: str) -> None:
        self._client = client
        self.collection_name = collection
        self._chunks: Any = None
        self._registry: Any = None
        # Chroma refuses batches above this size; stay well below it.
        self._batch_size = max(1, min(int(client.get_max_batch_size()), 1000))

    # -- collections ----------------------------------------------------------------------------
    def _open(self, create: bool) -> bool:
        """Open both collections; create them only when asked. False when they don't exist."""
        if self._chunks is not None:
            return True
        names = {c if isinstance(c, str) else c.name for c in self._client.list_collections()}
        if self.collection_name not in names and not create:
            return False
        self._chunks = self._client.get_or_create_collection(
            self.collection_name,
            embedding_function=None,  # never Chroma's default ONNX model: it downloads on first use
            configuration={"hnsw": {"space": "cosine"}},
        )
        self._registry = self._client.get_or_create_collection(
            self.collection_name + _REGISTRY_SUFFIX,
            embedding_function=None,
        )
        return True

    def stored_config(self) -> dict[str, Any]:
        """The index settings recorded on the collection ({} when there is no index yet)."""
        if not self._open(create=False):
            return {}
        metadata = self._chunks.metadata or {}
        return {
            key.removeprefix(_CONFIG_PREFIX): value
            for key, value in metadata.items()
            if key.startswith(_CONFIG_PREFIX)
        }

    def check_config(self, config: Mapping[str, str | int]) -> None:
        """Record `config` on a new index; raise IndexMismatchError if an existing one differs."""
        wanted = {**config, "schema": SCHEMA_VERSION}
        stored = self.stored_config()
        if not stored:
            self._open(create=True)
            self._chunks.modify(metadata={_CONFIG_PREFIX + k: v for k, v in wanted.items()})
            return
        differences = {
            key: (stored.get(key), value) for key, value in wanted.items() if stored.get(key) != value
        }
        if differences:
            detail = "; ".join(
                f"{k}: index has {old!r}, settings ask {new!r}" for k, (old, new) in differences.items()
            )
            raise IndexMismatchError(
                f"collection {self.collection_name!r} was built with other index settings ({detail}). "
                "Mixing them would give meaningless search results. Either go back to the settings it was "
                f"built with, use another collection (--collection NAME), or rebuild it: "
                f"`qa reset --collection {self.collection_name} --yes` and ingest your articles again."
            )

    # -- registry -------------------------------------------------------------------------------
    def get_article(self, article_id: str) -> ArticleRecord | None:
        """The registry entry of a fully written article, if any."""
        if not self._open(create=False):
            return None
        got = self._registry.get(ids=[article_id], include=["metadatas"])
        if not got["ids"]:
            return None
        return _record_from_metadata(got["ids"][0], got["metadatas"][0])

    def articles_from_origin(self, origin: str) -> list[ArticleRecord]:
        """Articles that were loaded from this file."""
        if not self._open(create=False):
            return []
        got = self._registry.get(where={"origin": origin}, include=["metadatas"])
        return [_record_from_metadata(i, m) for i, m in zip(got["ids"], got["metadatas"], strict=True)]

    def list_articles(self) -> list[ArticleRecord]:
        """Every registered article, ordered by title."""
        if not self._open(create=False):
            return []
        records: list[ArticleRecord] = []
        offset = 0
        while True:
            got = self._registry.get(include=["metadatas"], limit=self._batch_size, offset=offset)
            records += [
                _record_from_metadata(i, m) for i, m in zip(got["ids"], got["metadatas"], strict=True)
            ]
            if len(got["ids"]) < self._batch_size:
                break
            offset += self._batch_size
        return sorted(records, key=lambda r: (r.title.lower(), r.id))

    def count_articles(self) -> int:
        """Number of fully written articles (the registry holds nothing else)."""
        return int(self._registry.count()) if self._open(create=False) else 0

    def count_chunks(self) -> int:
        """Number of chunks stored."""
        return int(self._chunks.count()) if self._open(create=False) else 0

    # -- writes ---------------------------------------------------------------------------------
    def write_article(
        self,
        article: Article,
        chunks: Sequence[Chunk],
        embeddings: Sequence[Sequence[float]],
        policy: DuplicatePolicy,
    ) -> bool:
        """Write all chunks of an article, then register it; False when skipped by the policy."""
        if len(chunks) != len(embeddings):
            raise ValueError(f"{len(chunks)} chunks but {len(embeddings)} embeddings")
        if not chunks:
            raise ValueError(f"article {article.id} has no chunks")
        self._open(create=True)
        if self.get_article(article.id) is not None:
            if policy is DuplicatePolicy.SKIP:
                return False
            if policy is DuplicatePolicy.FAIL:
                raise DuplicateArticleError(f"article {article.id} is already indexed")
        # Unregister first: from here until the registry write below, the article counts as not written,
        # so a crash in between is repaired by the next ingest instead of leaving it half-indexed.
        self._registry.delete(ids=[article.id])
        self._chunks.delete(where={"article_id": article.id})
        shared = _article_metadata(article)
        for first in range(0, len(chunks), self._batch_size):
            batch = chunks[first : first + self._batch_size]
            self._chunks.upsert(
                ids=[c.id for c in batch],
                embeddings=[list(e) for e in embeddings[first : first + self._batch_size]],
                documents=[c.text for c in batch],
                metadatas=[
                    {**shared, "article_id": c.article_id, "index": c.index, "start": c.start, "end": c.end}
                    for c in batch
                ],
            )
        self._registry.upsert(
            ids=[article.id],
            embeddings=[_REGISTRY_VECTOR],
            documents=[article.title],
            metadatas=[
                {
                    **shared,
                    "origin": article.origin,
                    "content_hash": article.content_hash,
                    "chunks": len(chunks),
                }
            ],
        )
        return True

    def delete_article(self, article_id: str) -> int:
        """Remove an article and every chunk of it; returns the number of chunks removed."""
        if not self._open(create=False):
            return 0
        ids = self._chunks.get(where={"article_id": article_id}, include=[])["ids"]
        self._registry.delete(ids=[article_id])
        if ids:
            self._chunks.delete(ids=ids)
        return len(ids)

    def reset(self) -> None:
        """Drop the whole index (both collections)."""
        names = {c if isinstance(c, str) else c.name for c in self._client.list_collections()}
        for name in (self.collection_name, self.collection_name + _REGISTRY_SUFFIX):
            if name in names:
                self._client.delete_collection(name)
        self._chunks = self._registry = None

    # -- reads ----------------------------------------------------------------------------------
    def search(
        self, embedding: Sequence[float], k: int, where: Mapping[str, Any] | None = None
    ) -> list[ScoredChunk]:
        """The `k` chunks nearest to `embedding`, best first, with cosine similarity scores."""
        if not self._open(create=False):
            return []
        available = self.count_chunks()
        if available == 0:
            return []
        result = self._chunks.query(
            query_embeddings=[list(embedding)],
            n_results=min(k, available),
            where=dict(where) if where else None,
            include=["documents", "metadatas", "distances"],
        )
        hits = []
        for chunk_id, text, meta, distance in zip(
            result["ids"][0],
            result["documents"][0],
            result["metadatas"][0],
            result["distances"][0],
            strict=True,
        ):
            chunk = Chunk(
                id=chunk_id,
                article_id=str(meta["article_id"]),
                index=int(meta["index"]),
                text=text,
                start=int(meta["start"]),
                end=int(meta["end"]),
            )
            record = _record_from_metadata(chunk.article_id, meta)
            hits.append(ScoredChunk(chunk=chunk, article=record, score=1.0 - float(distance)))
        return hits


def _article_metadata(article: Article) -> dict[str, str | int]:
    """Article fields every chunk carries (Chroma metadata takes no None: absent keys mean unknown)."""
    meta: dict[str, str | int] = {"title": article.title}
    optional: dict[str, str | None] = {
        "url": article.url,
        "published": article.published,
        "source": article.source,
        "authors": "; ".join(article.authors) or None,
    }
    meta.update({key: value for key, value in optional.items() if value})
    day = published_as_int(article.published)
    if day is not None:
        meta["published_day"] = day
    return meta


def _record_from_metadata(article_id: str, meta: Mapping[str, Any]) -> ArticleRecord:
    authors = str(meta.get("authors") or "")
    return ArticleRecord(
        id=article_id,
        title=str(meta.get("title", "")),
        origin=str(meta.get("origin", "")),
        content_hash=str(meta.get("content_hash", "")),
        chunks=int(meta.get("chunks", 0)),
        url=meta.get("url"),
        published=meta.get("published"),
        source=meta.get("source"),
        authors=tuple(a for a in authors.split("; ") if a),
    )
