"""The Store on Chroma: an embedded `PersistentClient` or a `chroma run` server (`HttpClient`), same code.

Two Chroma collections per index: `<name>` holds chunks (cosine space) and `<name>-articles` is the
registry of fully written articles. Chroma's types and its `where` dialect stay in this module. The
keyword index lives beside them, in `<data dir>/keyword/<name>.sqlite` (also for a Chroma server: it is
rebuilt from the server's chunks when it is missing or does not match the registry).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.documents import ArticleRecord, Chunk, DateRange, ScoredChunk, SearchFilter
from qa.store import ArticleWrite, Store, check_writes, config_to_record, title_order
from qa.store.chroma_client import ChromaClient, server_errors
from qa.store.chroma_rows import (
    chunk_from,
    chunk_rows,
    info_from_metadata,
    record_from_metadata,
    registry_metadata,
    where,
)
from qa.store.keyword import KeywordHit, KeywordIndex, sync
from qa.text.control import is_utf8

if TYPE_CHECKING:
    from qa.settings import Settings

_CONFIG_PREFIX = "qa_"
_REGISTRY_SUFFIX = "-articles"
_REGISTRY_VECTOR = [1.0]  # the registry is looked up by id and metadata only; Chroma wants a vector


def open_store(settings: Settings) -> ChromaStore:
    """Embedded Chroma under the data dir, or a Chroma server when `QA_CHROMA_HOST` is set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    # Telemetry off: this product runs offline and must not phone home.
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        host, port, ssl = settings.chroma_host, settings.chroma_port, settings.chroma_ssl
        location = f"chroma server {settings.chroma_host}:{settings.chroma_port}"
        client = ChromaClient(
            lambda: chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=chroma_settings),
            embedded=False,
            location=location,
        )
    else:
        settings.chroma_path.mkdir(parents=True, exist_ok=True)
        path = str(settings.chroma_path)
        client = ChromaClient(
            lambda: chromadb.PersistentClient(path=path, settings=chroma_settings), embedded=True
        )
        location = f"embedded chroma at {settings.chroma_path}"
    return ChromaStore(
        client, settings.collection, location=location, keyword_dir=settings.data_dir / "keyword"
    )


class ChromaStore:
    """The Store on a Chroma client (embedded PersistentClient or HttpClient: same code)."""

    def __init__(
        self,
        client: ChromaClient,
        collection: str,
        *,
        location: str = "chroma",
        keyword_dir: Path | None = None,
    ) -> None:
        self._client = client
        self.collection_name = collection
        self.location = location
        self._keyword_dir = keyword_dir
        self._chunks: Any = None
        self._registry: Any = None
        self._opened_at = client.opened
        path = keyword_dir / f"{collection}.sqlite" if keyword_dir else None
        self._keyword = KeywordIndex(path)  # checked against the registry on first use (`_words`)
        self._keyword_synced = False
        # The keyword index's generation (every write by any process bumps it) when this store's view
        # of the embedded database was loaded: a reader that sees another value reopens the database.
        self._seen_generation: str | None = None
        # Chroma refuses batches above this size; stay well below it.
        self._batch_size = max(1, min(int(client.api.get_max_batch_size()), 1000))

    def open_collection(self, name: str) -> ChromaStore:
        """Another collection on the same Chroma database."""
        return ChromaStore(self._client, name, location=self.location, keyword_dir=self._keyword_dir)

    def _see_others_writes(self) -> None:
        """Reopen an embedded database when another process has written to it since this store's view
        of it was loaded (the keyword index's generation, bumped by every write, tells). Called before
        every read that answers a question: a view loaded before `qa ingest` ran beside a running
        `qa serve` would miss the new vectors, or fail on chunks its keyword side already has."""
        if not self._client.embedded:
            return  # a server has one index that every client sees
        generation = self._words.generation()
        if self._seen_generation is not None and generation != self._seen_generation:
            self._client.reopen()
        self._seen_generation = generation

    def _open_to_read(self) -> bool:
        """Open the collections for a read that answers a question, seeing other processes' writes;
        False when there is no index (or another process deleted it)."""
        if not self._open(create=False):
            return False
        self._see_others_writes()
        return self._open(create=False)

    def _wrote(self) -> None:
        """After this process's own write (under the write lock): its view is current already."""
        self._seen_generation = self._keyword.generation()

    @property
    def _words(self) -> KeywordIndex:
        """The keyword index, checked against the registry (and repaired) the first time it is used."""
        if not self._keyword_synced:
            sync(self._keyword, self.list_articles(), self.iter_chunks)
            self._keyword_synced = True
        return self._keyword

    # -- collections ----------------------------------------------------------------------------
    def _open(self, create: bool) -> bool:
        """Open both collections; create them only when asked. False when they don't exist."""
        if self._chunks is not None and self._opened_at == self._client.opened:
            return True
        self._chunks = self._registry = None
        self._opened_at = self._client.opened
        if self._seen_generation is None:
            # Read before the collections are: whatever another process writes from now on is noticed.
            self._seen_generation = self._keyword.generation()
        if self.collection_name not in self._collection_names() and not create:
            return False
        self._chunks = self._client.api.get_or_create_collection(
            self.collection_name,
            embedding_function=None,  # never Chroma's default ONNX model: it downloads on first use
            configuration={"hnsw": {"space": "cosine"}},
        )
        self._registry = self._client.api.get_or_create_collection(
            self.collection_name + _REGISTRY_SUFFIX,
            embedding_function=None,
        )
        return True

    def _collection_names(self) -> set[str]:
        return {c if isinstance(c, str) else c.name for c in self._client.api.list_collections()}

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
        record = config_to_record(self.stored_config(), config, self.collection_name)
        if record is not None:
            self._open(create=True)
            self._chunks.modify(metadata={_CONFIG_PREFIX + k: v for k, v in record.items()})

    # -- registry -------------------------------------------------------------------------------
    def get_article(self, article_id: str) -> ArticleRecord | None:
        """The registry entry of a fully written article, if any."""
        return self.get_articles([article_id]).get(article_id)

    def get_articles(self, article_ids: Sequence[str]) -> dict[str, ArticleRecord]:
        """The registry entries of those of `article_ids` that are fully written, by id."""
        if not article_ids or not self._open(create=False):
            return {}
        records: dict[str, ArticleRecord] = {}
        for first in range(0, len(article_ids), self._batch_size):
            got = self._registry.get(
                ids=list(article_ids[first : first + self._batch_size]), include=["metadatas"]
            )
            for article_id, metadata in zip(got["ids"], got["metadatas"], strict=True):
                records[article_id] = record_from_metadata(article_id, metadata)
        return records

    def articles_from_origin(self, origin: str) -> list[ArticleRecord]:
        """Articles that were loaded from this file."""
        if not self._open(create=False) or not is_utf8(origin):
            # Chroma refuses a where clause that is not valid UTF-8, and so could never have stored it.
            return []
        got = self._registry.get(where={"origin": origin}, include=["metadatas"])
        return [record_from_metadata(i, m) for i, m in zip(got["ids"], got["metadatas"], strict=True)]

    def list_articles(self) -> list[ArticleRecord]:
        """Every registered article, ordered by title."""
        if not self._open(create=False):
            return []
        records = [
            record_from_metadata(i, m)
            for got in self._pages(self._registry, ["metadatas"])
            for i, m in zip(got["ids"], got["metadatas"], strict=True)
        ]
        return title_order(records)

    def count_articles(self) -> int:
        """Number of fully written articles (the registry holds nothing else)."""
        return int(self._registry.count()) if self._open(create=False) else 0

    def count_chunks(self) -> int:
        """Number of chunks stored."""
        return int(self._chunks.count()) if self._open(create=False) else 0

    def _pages(
        self, collection: Any, include: list[str], where: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """`collection.get` (of the rows matching `where`) in batches Chroma accepts, until all were read."""
        offset = 0
        while True:
            got = collection.get(include=include, where=where, limit=self._batch_size, offset=offset)
            yield got
            if len(got["ids"]) < self._batch_size:
                return
            offset += self._batch_size

    # -- writes ---------------------------------------------------------------------------------
    def write_articles(self, writes: Sequence[ArticleWrite]) -> None:
        """Replace what is stored under each article's id, then register it, in a few Chroma calls (one
        call per article made ingest at 100k chunks bound by round trips, not by embedding)."""
        check_writes(writes)
        if not writes:
            return
        self._open(create=True)
        ids = [write.article.id for write in writes]
        # Unregister first: from here until the registry write below, these articles count as not
        # written, so a crash in between is repaired by the next ingest instead of leaving them
        # half-indexed.
        for first in range(0, len(ids), self._batch_size):
            batch_ids = ids[first : first + self._batch_size]
            self._registry.delete(ids=batch_ids)
            self._chunks.delete(where={"article_id": {"$in": batch_ids}})
        rows = chunk_rows(writes)
        for first in range(0, len(rows), self._batch_size):
            batch = rows[first : first + self._batch_size]
            self._chunks.upsert(
                ids=[row.id for row in batch],
                embeddings=[row.embedding for row in batch],
                documents=[row.text for row in batch],
                metadatas=[row.metadata for row in batch],
            )
        # Words before the registry entries: a crash in between leaves the articles unregistered (redone
        # by the next ingest), never registered without their words (`sync` would also repair that).
        self._words.replace_many((w.article.info(), w.article.content_hash, w.chunks) for w in writes)
        for first in range(0, len(writes), self._batch_size):
            batch_writes = writes[first : first + self._batch_size]
            self._registry.upsert(
                ids=[w.article.id for w in batch_writes],
                embeddings=[_REGISTRY_VECTOR for _ in batch_writes],
                documents=[w.article.title for w in batch_writes],
                metadatas=[registry_metadata(w) for w in batch_writes],
            )
        self._wrote()

    def delete_article(self, article_id: str) -> int:
        """Remove an article and every chunk of it; returns the number of chunks removed."""
        if not self._open(create=False):
            return 0
        ids = self._chunks.get(where={"article_id": article_id}, include=[])["ids"]
        self._registry.delete(ids=[article_id])
        self._words.delete_article(article_id)
        if ids:
            self._chunks.delete(ids=ids)
        self._wrote()
        return len(ids)

    def reset(self) -> None:
        """Drop the whole index (both collections)."""
        names = self._collection_names()
        for name in (self.collection_name, self.collection_name + _REGISTRY_SUFFIX):
            if name in names:
                self._client.api.delete_collection(name)
        self._chunks = self._registry = None
        self._words.reset()
        self._wrote()

    # -- reads ----------------------------------------------------------------------------------
    def search(
        self, embedding: Sequence[float], k: int, search_filter: SearchFilter | None = None
    ) -> list[ScoredChunk]:
        """The `k` chunks nearest to `embedding` that pass the filter, best first, with cosine similarity."""
        if not self._open_to_read():
            return []
        # No count first: Chroma 1.x returns what there is when asked for more (a count per question
        # cost as much as the search itself at 100k chunks).
        result = self._chunks.query(
            query_embeddings=[list(embedding)],
            n_results=k,
            where=where(search_filter),
            include=["documents", "metadatas", "distances"],
        )
        return [
            ScoredChunk(
                chunk=chunk_from(chunk_id, text, meta),
                article=info_from_metadata(str(meta["article_id"]), meta),
                score=1.0 - float(distance),
            )
            for chunk_id, text, meta, distance in zip(
                result["ids"][0],
                result["documents"][0],
                result["metadatas"][0],
                result["distances"][0],
                strict=True,
            )
            if meta is not None and text is not None  # deleted since the vector index was loaded
        ]

    def keyword_search(
        self, query: str, k: int, search_filter: SearchFilter | None = None
    ) -> list[KeywordHit]:
        """The `k` chunks with the best BM25 score for `query` (words of the chunk and its headline)."""
        if not self._open_to_read():
            return []
        return self._words.search(query, k, search_filter)

    def published_span(self, search_filter: SearchFilter | None = None) -> DateRange | None:
        """The first and last publication day of the stored (dated) articles that pass the filter."""
        if not self._open_to_read():
            return None
        return self._words.published_span(search_filter)

    def undated_articles(self, search_filter: SearchFilter | None = None) -> int:
        """How many stored articles that pass the filter have no publication date."""
        if not self._open_to_read():
            return 0
        return self._words.undated_articles(search_filter)

    def get_chunks(self, chunk_ids: Sequence[str], embedding: Sequence[float]) -> list[ScoredChunk]:
        """These chunks (still stored ones, in order asked), with their cosine similarity to `embedding`."""
        if not chunk_ids or not self._open_to_read():
            return []
        got = self._chunks.get(ids=list(chunk_ids), include=["documents", "metadatas", "embeddings"])
        found = {
            chunk_id: (text, meta, vector)
            for chunk_id, text, meta, vector in zip(
                got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
            )
        }
        query = np.asarray(embedding, dtype=np.float64)
        query_norm = float(np.linalg.norm(query)) or 1.0
        scored: list[ScoredChunk] = []
        for chunk_id in chunk_ids:
            if chunk_id not in found:
                continue  # deleted since the keyword index was read
            text, meta, vector = found[chunk_id]
            vector = np.asarray(vector, dtype=np.float64)
            cosine = float(vector @ query) / ((float(np.linalg.norm(vector)) or 1.0) * query_norm)
            scored.append(
                ScoredChunk(
                    chunk_from(chunk_id, text, meta),
                    info_from_metadata(str(meta["article_id"]), meta),
                    cosine,
                )
            )
        return scored

    def iter_chunks(self) -> Iterator[Chunk]:
        """Every stored chunk, ordered by article id and position."""
        return self._read_chunks(None)

    def opening_chunks(self) -> Iterator[Chunk]:
        """The first chunk of every article, ordered by article id (one filtered read, not every chunk)."""
        return self._read_chunks({"index": 0})

    def _read_chunks(self, matching: dict[str, Any] | None) -> Iterator[Chunk]:
        if not self._open(create=False):
            return iter(())
        chunks = [
            chunk_from(chunk_id, text, meta)
            for got in self._pages(self._chunks, ["documents", "metadatas"], where=matching)
            for chunk_id, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        ]
        return iter(sorted(chunks, key=lambda c: (c.article_id, c.index)))


# Every call of the Store protocol reaches the server (opening another collection's view does not): a
# method added to the protocol is wrapped without being listed here.
for _name in sorted(n for n in vars(Store) if not n.startswith("_") and n != "open_collection"):
    setattr(ChromaStore, _name, server_errors(getattr(ChromaStore, _name)))
