"""Wiring: builds each stage once, lazily, from one Settings object. CLI, web and evaluation share it.

Tests pass fakes (labelled as such) for any component through the constructor.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from qa.answer import AnswerEngine
    from qa.documents import ArticleRecord
    from qa.embedding import Embedder
    from qa.indexing import IngestReport
    from qa.llm import LocalLlamaServer
    from qa.retrieve import Retriever
    from qa.store import ChromaStore


class NewsDesk:
    """The product's components for one settings object, created on first use."""

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        store: ChromaStore | None = None,
        chat_model: BaseChatModel | None = None,
    ) -> None:
        self.settings = settings
        self._embedder = embedder
        self._store = store
        self._chat_model = chat_model
        self._engine: AnswerEngine | None = None
        self._retriever: Retriever | None = None
        self._local_server: LocalLlamaServer | None = None

    @property
    def embedder(self) -> Embedder:
        """The embedding model (loaded on first use)."""
        if self._embedder is None:
            from qa.embedding import create_embedder

            self._embedder = create_embedder(self.settings)
        return self._embedder

    @property
    def store(self) -> ChromaStore:
        """The Chroma-backed store (opened on first use)."""
        if self._store is None:
            from qa.store import create_store

            self._store = create_store(self.settings)
        return self._store

    @property
    def retriever(self) -> Retriever:
        """Question to ranked chunks, on the index's own stored settings."""
        if self._retriever is None:
            from qa.retrieve import Retriever

            self._retriever = Retriever(self.settings, self.embedder, self.store, self.store.stored_config())
        return self._retriever

    @property
    def engine(self) -> AnswerEngine:
        """The answer chain (starts the local LLM on first use)."""
        if self._engine is None:
            from qa.answer import AnswerEngine
            from qa.llm import create_chat_model, describe_llm

            if self._chat_model is None:
                if self.settings.llm_mode == "local":
                    from qa.llm import LocalLlamaServer, resolve_gguf

                    gguf = resolve_gguf(self.settings.llm_model, self.settings.model_cache_dir)
                    self._local_server = LocalLlamaServer.from_settings(gguf, self.settings)
                self._chat_model = create_chat_model(self.settings, local_server=self._local_server)
            self._engine = AnswerEngine(
                self.settings,
                self.retriever,
                self._chat_model,
                llm_label=describe_llm(self.settings),
                embedding_label=self.embedder.name,
            )
        return self._engine

    def ingest(self, paths: Iterable[Path], *, progress: bool = True) -> IngestReport:
        """Index the articles under `paths`."""
        from qa.indexing import ingest

        return ingest(paths, self.settings, self.embedder, self.store, progress=progress)

    def delete(self, id_or_url: str) -> tuple[str, int] | None:
        """Remove one article and all its chunks."""
        from qa.indexing import delete

        return delete(self.settings, self.store, id_or_url)

    def list_articles(self) -> list[ArticleRecord]:
        """Every indexed article."""
        return self.store.list_articles()

    def stats(self) -> dict[str, Any]:
        """Counts and the settings the index was built with."""
        config = self.store.stored_config()
        return {
            "collection": self.settings.collection,
            "articles": self.store.count_articles(),
            "chunks": self.store.count_chunks(),
            "embedding_model": config.get("embedding_model", self.settings.embedding_model),
            "chunk_tokens": config.get("chunk_tokens"),
            "chunk_overlap_tokens": config.get("chunk_overlap_tokens"),
            "store": (
                f"chroma server {self.settings.chroma_host}:{self.settings.chroma_port}"
                if self.settings.chroma_host
                else f"embedded chroma at {self.settings.chroma_path}"
            ),
        }

    def close(self) -> None:
        """Stop the local LLM server if this object started one."""
        if self._local_server is not None:
            self._local_server.close()
            self._local_server = None
