"""Stage 4b: keep chunks, their vectors and words, and an article registry. `Store` is the seam.

An article enters the registry only after all its chunks are written, so an interrupted write is simply
redone by the next ingest. Writing an article replaces whatever was stored under its id: what happens
to an unchanged or changed article is decided by the ingest (`qa.indexing`), not by the store.

To add a store: implement `Store` in a module of this package with `open_store(settings)`, add one entry to
`qa.backends.STORE_BACKENDS`, and run the contract tests (`tests/store_contract.py`) against it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from qa.backends import STORE_BACKENDS, backend_module
from qa.documents import Article, ArticleRecord, Chunk, DateRange, ScoredChunk, SearchFilter
from qa.embedding import settings_for_index
from qa.errors import IndexMismatchError
from qa.store.keyword import KeywordHit

if TYPE_CHECKING:
    from qa.settings import Settings

SCHEMA_VERSION = 1


class ArticleWrite(NamedTuple):
    """One article to store: its chunks and their vectors, in the same order."""

    article: Article
    chunks: Sequence[Chunk]
    embeddings: Sequence[Sequence[float]]


class Store(Protocol):
    """Where chunks, their vectors and the article registry live."""

    collection_name: str
    location: str  # where the index is, in words (for `qa stats`)

    def stored_config(self) -> dict[str, Any]:
        """The index settings recorded with the index ({} when there is no index yet)."""
        ...

    def check_config(self, config: Mapping[str, str | int]) -> None:
        """Record `config` on a new index; raise IndexMismatchError if an existing one differs."""
        ...

    def get_article(self, article_id: str) -> ArticleRecord | None:
        """The registry entry of a fully written article, if any."""
        ...

    def get_articles(self, article_ids: Sequence[str]) -> dict[str, ArticleRecord]:
        """The registry entries of those of `article_ids` that are fully written, by id."""
        ...

    def articles_from_origin(self, origin: str) -> list[ArticleRecord]:
        """Articles that were loaded from this file."""
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

    def write_articles(self, writes: Sequence[ArticleWrite]) -> None:
        """Replace whatever is stored under each article's id by its chunks, then register it: each is
        registered only once all its chunks are stored, so a crash leaves none of them half-indexed."""
        ...

    def delete_article(self, article_id: str) -> int:
        """Remove an article and every chunk of it; returns the number of chunks removed."""
        ...

    def search(
        self, embedding: Sequence[float], k: int, search_filter: SearchFilter | None = None
    ) -> list[ScoredChunk]:
        """The `k` chunks nearest to `embedding` that pass the filter, best first, with cosine similarity."""
        ...

    def keyword_search(
        self, query: str, k: int, search_filter: SearchFilter | None = None
    ) -> list[KeywordHit]:
        """The `k` chunks with the best BM25 score for `query` (words of the chunk and its headline)."""
        ...

    def published_span(self, search_filter: SearchFilter | None = None) -> DateRange | None:
        """The first and last publication day of the stored (dated) articles that pass the filter."""
        ...

    def undated_articles(self, search_filter: SearchFilter | None = None) -> int:
        """How many stored articles that pass the filter have no publication date."""
        ...

    def get_chunks(self, chunk_ids: Sequence[str], embedding: Sequence[float]) -> list[ScoredChunk]:
        """These chunks (still stored ones, in order asked), with their cosine similarity to `embedding`."""
        ...

    def iter_chunks(self) -> Iterator[Chunk]:
        """Every stored chunk, ordered by article id and position (for keyword indexes and checks)."""
        ...

    def opening_chunks(self) -> Iterator[Chunk]:
        """The first chunk of every article, ordered by article id (what story grouping reads)."""
        ...

    def reset(self) -> None:
        """Drop the whole index: chunks, registry and recorded settings."""
        ...

    def open_collection(self, name: str) -> Store:
        """Another collection in the same database (evaluation runs keep theirs apart from the user's)."""
        ...


def create_store(settings: Settings) -> Store:
    """The store the settings ask for; its module (Chroma's, say) is imported only on its path."""
    store: Store = backend_module(STORE_BACKENDS, "store_backend", settings.store_backend).open_store(
        settings
    )
    return store


def config_to_record(
    stored: Mapping[str, Any], wanted: Mapping[str, str | int], collection: str
) -> dict[str, str | int] | None:
    """What to record for a new index (None when `stored` already matches); IndexMismatchError otherwise."""
    wanted = {**wanted, "schema": SCHEMA_VERSION}
    if not stored:
        return dict(wanted)
    differences = {key: (stored.get(key), value) for key, value in wanted.items() if stored.get(key) != value}
    if not differences:
        return None
    detail = "; ".join(
        f"{k}: index has {old!r}, settings ask {new!r}" for k, (old, new) in differences.items()
    )
    built_with = ""
    if "embedding_model" in differences and stored.get("embedding_model"):
        built_with = f" ({settings_for_index(str(stored['embedding_model']))})"
    raise IndexMismatchError(
        f"collection {collection!r} was built with other index settings ({detail}). "
        "Mixing them would give meaningless search results. Either go back to the settings it was "
        f"built with{built_with}, use another collection (--collection NAME), or rebuild it: "
        f"`qa reset --collection {collection} --yes` and ingest your articles again."
    )


def check_write(article: Article, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]) -> None:
    """Refuse a write that would leave an article without chunks or chunks without vectors."""
    if len(chunks) != len(embeddings):
        raise ValueError(f"{len(chunks)} chunks but {len(embeddings)} embeddings")
    if not chunks:
        raise ValueError(f"article {article.id} has no chunks")


def check_writes(writes: Sequence[ArticleWrite]) -> None:
    """`check_write` for each write, and no article twice in one batch (which version would win?)."""
    for write in writes:
        check_write(*write)
    ids = [write.article.id for write in writes]
    if len(set(ids)) != len(ids):
        raise ValueError("the same article twice in one batch of writes")


def title_order(records: Sequence[ArticleRecord]) -> list[ArticleRecord]:
    """Records in the order `list_articles` promises: by title, then id."""
    return sorted(records, key=lambda r: (r.title.lower(), r.id))
