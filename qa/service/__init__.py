"""The facade: `NewsDesk` is the one thing the presenters (CLI, web chat, evaluation) call.

It builds each stage once, lazily, from one Settings object, and is the only place that wires stores,
embedders, the write lock and the language model together. Tests pass fakes (labelled as such) for any
component through the constructor, or choose the fake backends by settings.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from qa.documents import ArticleRecord, DateRange, SearchFilter
from qa.errors import DiskFullError, UserError, is_disk_full

# Re-exported: the presenters tell a URL from a path with the one test, and reach nothing below here.
from qa.loaders.fetch.urls import is_url as is_url
from qa.results import (
    AnswerResult,
    DeletedArticle,
    IndexStats,
    IngestReport,
    SearchScope,
    Source,
)
from qa.results.stories import with_first_story
from qa.results.timeline import Timeline
from qa.settings import Settings
from qa.text.dates import check_as_of

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from qa.answer.engine import AnswerConfig, AnswerEngine
    from qa.answer.stream import AnswerStream
    from qa.embedding import Embedder
    from qa.llm import ChatBackend, LlmConfig
    from qa.results.stories import Story
    from qa.retrieval import RetrievalConfig, Retriever
    from qa.service.evaluation import Evaluation
    from qa.store import Store


class NewsDesk:
    """Ask, ingest, delete, reset, list and count, for one settings object; components made on first use."""

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        store: Store | None = None,
        chat_model: BaseChatModel | None = None,
    ) -> None:
        self.settings = settings
        self._embedder = embedder
        self._store = store
        self._chat_model = chat_model
        self._backend: ChatBackend | None = None
        self._engine: AnswerEngine | None = None
        self._retriever: Retriever | None = None
        self._stories: tuple[tuple[tuple[str, str], ...], list[Story]] | None = None

    # -- each stage's own config, built once from the settings (what it runs with is what is recorded)
    @cached_property
    def _retrieval_config(self) -> RetrievalConfig:
        from qa.retrieval import RetrievalConfig

        return RetrievalConfig.from_settings(self.settings)

    @cached_property
    def _answer_config(self) -> AnswerConfig:
        from qa.answer.engine import AnswerConfig

        return AnswerConfig.from_settings(self.settings)

    @cached_property
    def _llm_config(self) -> LlmConfig:
        from qa.llm import LlmConfig

        return LlmConfig.from_settings(self.settings)

    # -- components (private: presenters never reach past the facade) ---------------------------
    @property
    def _embedding(self) -> Embedder:
        if self._embedder is None:
            from qa.embedding import create_embedder

            self._embedder = create_embedder(self.settings)
        return self._embedder

    @property
    def _index(self) -> Store:
        if self._store is None:
            from qa.store import create_store

            self._store = create_store(self.settings)
        return self._store

    @property
    def _search(self) -> Retriever:
        if self._retriever is None:
            from qa.retrieval import Retriever

            self._retriever = Retriever(
                self._retrieval_config, self._embedding, self._index, self._index.stored_config()
            )
        return self._retriever

    @property
    def _chat(self) -> ChatBackend:
        """The LLM backend, opened (in local mode: llama.cpp started) the first time it is needed."""
        if self._backend is None:
            from qa.llm import open_backend

            self._backend = open_backend(self._llm_config, chat_model=self._chat_model)
        return self._backend

    @property
    def _answers(self) -> AnswerEngine:
        if self._engine is None:
            from qa.answer.engine import AnswerEngine

            self._engine = AnswerEngine(
                self._answer_config,
                self._search,
                lambda: self._chat,
                llm=self._llm_config,
                llm_label=self.llm_label,
                embedding_label=self._embedding.name,
            )
        return self._engine

    # -- answers ----------------------------------------------------------------------------------
    def stream(
        self,
        question: str,
        *,
        k: int | None = None,
        dates: DateRange | None = None,
        as_of: date | None = None,
    ) -> AnswerStream:
        """The answer to `question` asked on `as_of` (default today) as it is written; read `.result` for
        citations, timings and counts."""
        from qa.answer.question import checked_question

        # Checked before the engine (and in local mode the LLM) is started: a refusal costs nothing.
        question = checked_question(question, self._answer_config.max_question_chars)
        story_of = lambda: {a: story.id for story in self.stories() for a in story.article_ids}  # noqa: E731
        return self._answers.stream(
            question, k=k, search_filter=_filter(dates), as_of=_asked_on(as_of), stories=story_of
        )

    def ask(
        self,
        question: str,
        *,
        k: int | None = None,
        dates: DateRange | None = None,
        as_of: date | None = None,
    ) -> AnswerResult:
        """The whole answer at once."""
        return self.stream(question, k=k, dates=dates, as_of=as_of).result

    def timeline(
        self,
        topic: str,
        *,
        since: date | None = None,
        until: date | None = None,
        as_of: date | None = None,
        story: str | None = None,
    ) -> Timeline:
        """How the story `topic` developed in the indexed articles: dated, cited steps, oldest first, kept
        to `since`..`until` when given (else to the period the topic's own time words name). With `story`
        (a story id from `stories`), the steps come from that story's articles and no others."""
        from qa.answer.question import checked_question
        from qa.answer.timeline import TIMELINE_ARTICLES, TIMELINE_CHUNKS, build_timeline

        if story is not None:
            chosen = next((s for s in self.stories() if s.id == story), None)
            if chosen is None:
                raise UserError(f"no story {story!r}: `qa list --stories` lists them")
            topic = checked_question(topic or chosen.title, self._answer_config.max_question_chars)
            articles = self._search.whole_articles(topic, list(chosen.article_ids))
            return build_timeline(topic, articles, since=since, until=until, story=chosen.article_ids)
        topic = checked_question(topic, self._answer_config.max_question_chars)
        asked_on = _asked_on(as_of)
        # An article a few days after the period may still tell of it: reports lag the news.
        slack = timedelta(days=self._retrieval_config.time_slack_days)
        dates = DateRange(since, until + slack if until else None) if since or until else None
        retrieval = self._search.retrieve(
            topic, k=TIMELINE_CHUNKS, search_filter=_filter(dates), as_of=asked_on
        )
        if dates is None and retrieval.period is not None:
            since, until = retrieval.period.start, retrieval.period.end
        found = list(dict.fromkeys(hit.article.id for hit in retrieval.hits))[:TIMELINE_ARTICLES]
        # The articles grouped with the first one found tell its story though the search may miss them
        # (a follow-up names it otherwise): event recall +0.01 on the 2023 and 2025 stories.
        found = with_first_story(found, self.stories() if found else ())
        return build_timeline(topic, self._search.whole_articles(topic, found), since=since, until=until)

    @staticmethod
    def asks_for_timeline(question: str) -> bool:
        """Does `question` ask how a story developed (answered with `timeline`) rather than for a fact?"""
        from qa.answer.timeline import asks_for_timeline

        return asks_for_timeline(question)

    def condense(self, question: str, history: list[tuple[str, str]]) -> str:
        """A follow-up rewritten to stand alone, given the earlier (question, answer) turns."""
        from qa.answer.question import checked_question

        question = checked_question(question, self._answer_config.max_question_chars)
        return self._answers.condense(question, history)

    # -- the index --------------------------------------------------------------------------------
    def ingest(
        self, sources: Iterable[Path | str], *, progress: bool = True, cancel: threading.Event | None = None
    ) -> IngestReport:
        """Index the articles of `sources` (files, folders, article and feed URLs, feed files): added,
        unchanged, replaced and rejected, with reasons. Setting `cancel` (from any thread) stops fetching;
        what was fetched by then is indexed."""
        from qa.indexing import ingest

        with self._full_disk_said():
            return ingest(
                sources, self.settings, lambda: self._embedding, self._index, progress=progress, cancel=cancel
            )

    @contextmanager
    def _full_disk_said(self) -> Iterator[None]:
        """A full disk (or quota) during an ingest becomes one DiskFullError naming the data dir: articles
        are written whole or not at all, so the same ingest run again after freeing space finishes it."""
        try:
            yield
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            raise DiskFullError(
                f"no space left on the device holding the data dir ({self.settings.data_dir.resolve()}): "
                "free space and run the ingest again; nothing indexed is lost"
            ) from exc

    # -- saved sources ----------------------------------------------------------------------------
    def sources(self) -> list[Source]:
        """The feeds and pages saved for `refresh`, in the order they were added."""
        from qa.sources import SourceList

        return SourceList(self.settings.sources_path).all()

    def add_source(self, name: str, url: str) -> Source:
        """Save a feed or page under `name` for `refresh` (nothing is fetched yet)."""
        from qa.indexing import write_lock
        from qa.sources import SourceList

        with write_lock(self.settings):
            return SourceList(self.settings.sources_path).add(name, url)

    def remove_source(self, name: str) -> Source | None:
        """Forget a saved source (its articles stay indexed); None when none has that name."""
        from qa.indexing import write_lock
        from qa.sources import SourceList

        with write_lock(self.settings):
            return SourceList(self.settings.sources_path).remove(name)

    def refresh(self, *, progress: bool = True) -> IngestReport:
        """Fetch every saved source once: what is new, changed, unchanged and failed."""
        sources = self.sources()
        if not sources:
            raise UserError("no sources saved: add a feed with `qa sources add NAME URL` first")
        return self.ingest([s.url for s in sources], progress=progress)

    def last_refreshed(self) -> str | None:
        """When pages or feeds were last fetched into the index (ISO time, UTC), if ever."""
        from qa.loaders.fetch.state import FetchState

        return FetchState(self.settings.fetch_state_path).last_refreshed

    def delete(self, id_or_url: str) -> DeletedArticle | None:
        """Remove one article and all its chunks; None when no indexed article has that id or URL."""
        from qa.indexing import delete

        return delete(self.settings, self._index, id_or_url)

    def reset(self) -> None:
        """Drop the whole collection (to rebuild it with another embedding model or chunking)."""
        from qa.indexing import reset

        reset(self.settings, self._index)
        # The retriever checked the settings of the index that is gone; the engine holds the retriever.
        self.close()
        self._retriever = None

    def list_articles(self) -> list[ArticleRecord]:
        """Every indexed article, by title."""
        return self._index.list_articles()

    def stories(self) -> list[Story]:
        """The indexed articles grouped into stories (linked by headline and lead), those of several
        articles first; read again only when the articles changed (qa/retrieval/stories.py)."""
        from qa.retrieval.stories import StoryLead, group_stories

        records = self._index.list_articles()
        state = tuple(sorted((r.id, r.content_hash) for r in records))
        if self._stories is None or self._stories[0] != state:
            openings = {c.article_id: c.text for c in self._index.opening_chunks()}
            leads = [StoryLead(r.id, r.title, r.published, openings.get(r.id, "")) for r in records]
            grouped = group_stories(
                leads,
                min_similarity=self.settings.story_min_similarity,
                max_gap_days=self.settings.story_max_gap_days,
            )
            self._stories = (state, grouped)
        return self._stories[1]

    def get_article(self, article_id: str) -> ArticleRecord | None:
        """One indexed article, if there is one with that id."""
        return self._index.get_article(article_id)

    def stats(self) -> IndexStats:
        """Counts and the settings the index was built with."""
        config = self._index.stored_config()
        # Nothing indexed yet (a new server, a new collection): show what the first ingest will use.
        return IndexStats(
            collection=self.settings.collection,
            articles=self._index.count_articles(),
            chunks=self._index.count_chunks(),
            embedding_model=str(config.get("embedding_model", self.settings.embedding_model)),
            chunk_tokens=config.get("chunk_tokens", self.settings.chunk_tokens),
            chunk_overlap_tokens=config.get("chunk_overlap_tokens", self.settings.chunk_overlap_tokens),
            store=self._index.location,
            built=bool(config),
            last_refreshed=self.last_refreshed(),
        )

    def scope(self, dates: DateRange | None = None) -> SearchScope:
        """What a question is searched in (to say so when the articles don't hold the answer)."""
        return SearchScope(
            collection=self.settings.collection,
            articles=self._index.count_articles(),
            chunks=self._index.count_chunks(),
            min_score=self._retrieval_config.decline_below,
            dates=dates,
        )

    # -- what a run depends on ------------------------------------------------------------------
    @property
    def llm_label(self) -> str:
        """Which LLM answers, e.g. `local:qwen2.5-coder-1.5b-instruct-q4_k_m` (nothing is started)."""
        from qa.llm import describe_llm

        return describe_llm(self._llm_config)

    @property
    def embedding_model(self) -> str:
        """The embedding model's name (loads the model)."""
        return self._embedding.name

    def evaluation(self) -> Evaluation:
        """What `qa eval` needs beyond this facade: ranking, the index read back, the configs to record."""
        from qa.service.evaluation import Evaluation

        return Evaluation(self)

    # -- lifecycle --------------------------------------------------------------------------------
    def llm_runtime_counters(self) -> dict[str, float] | None:
        """The local model's own cumulative counters (prompt tokens read, tokens generated, seconds of
        each); None unless this desk runs the local model and it has started."""
        server = self._backend.server if self._backend is not None else None
        return server.runtime_counters() if server is not None and server.running else None

    def warm_up(self) -> None:
        """Load the embedding model and start the LLM now, so that the first question is not the slow one."""
        self._chat  # noqa: B018 - opening the backend starts the model
        self._embedding.embed(["warm-up"])

    def close(self) -> None:
        """Stop the local LLM server if this desk started one."""
        if self._backend is not None:
            self._backend.close()
            self._backend = None
            self._engine = None


def _asked_on(as_of: date | None) -> date:
    """The day a question is asked on: `as_of` if it may be (else InvalidDateError), or today. The one
    place "today" is decided: the stages below are always given the day."""
    return check_as_of(as_of) if as_of else date.today()


def _filter(dates: DateRange | None) -> SearchFilter | None:
    return SearchFilter(published=dates) if dates is not None else None
