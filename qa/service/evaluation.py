"""The evaluation's own way into the product: what `qa eval` needs beyond the facade a user has."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from qa.documents import Chunk, DateRange
from qa.results import Prepared, Retrieval
from qa.service import NewsDesk, _asked_on, _filter
from qa.settings import config_record


class Evaluation:
    """The evaluation's own way in: `desk` for what a user does (ingest, ask), and what only an
    evaluation needs: ranking without a threshold, the chunks as indexed, the configs a run records."""

    def __init__(self, desk: NewsDesk) -> None:
        self.desk = desk

    def on_collection(self, collection: str) -> Evaluation:
        """The same on another collection of the same database, sharing the embedding model."""
        desk = self.desk
        settings = desk.settings.model_copy(update={"collection": collection})
        other = NewsDesk(
            settings,
            embedder=desk._embedding,
            store=desk._index.open_collection(collection),
            chat_model=desk._chat_model,
        )
        return Evaluation(other)

    def rank(
        self, question: str, *, chunks: int, dates: DateRange | None = None, as_of: date | None = None
    ) -> Retrieval:
        """The `chunks` best chunks for `question` asked on `as_of`, with no relevance threshold."""
        return self.desk._search.retrieve(
            question, k=chunks, min_score=-1.0, search_filter=_filter(dates), as_of=_asked_on(as_of)
        )

    def prepare(self, question: str, *, as_of: date | None = None) -> Prepared:
        """What the answer step knows of `question` before the model: evidence, judgment, any decline."""
        from qa.answer.evidence import given_sources

        prepared = self.desk._answers.prepare(question, as_of=_asked_on(as_of))
        return Prepared(given_sources(prepared.sources), prepared.judgment, prepared.declined)

    @staticmethod
    def names_a_time(question: str, as_of: date | None = None) -> bool:
        """Does `question`, asked on `as_of` (default today), have time words ("this week", "in 2022",
        "latest") that its date gives meaning?"""
        from qa.retrieval.timewords import time_focus

        focus = time_focus(question, _asked_on(as_of))
        return focus.period is not None or focus.latest

    def indexed_chunks(self) -> Iterator[Chunk]:
        """Every chunk in the index, by article id and position (what keyword search and checks read)."""
        return self.desk._index.iter_chunks()

    def index_config(self) -> dict[str, str | int]:
        """The fingerprint (`IndexConfig`) of the index the settings build: model, chunking (loads it)."""
        from qa.indexing import index_config

        return index_config(self.desk.settings, self.desk._embedding)

    def decline_below(self) -> float:
        """The best passage's similarity under which a question is declined."""
        return self.desk._retrieval_config.decline_below

    def stage_configs(self, *, answers: bool) -> dict[str, Any]:
        """Every field of the retrieval, answer and LLM configs, as they are used (`config_record`), with
        the LLM's label and the prompt's fingerprint; without `answers`, the answer side is all None."""
        from qa.answer.prompt import prompt_fingerprint

        desk = self.desk
        answer_side = {
            **config_record(desk._answer_config),
            **config_record(desk._llm_config),
            "llm": desk.llm_label,
            "prompt_sha256": prompt_fingerprint(),
        }
        if not answers:
            answer_side = dict.fromkeys(answer_side)
        return {**config_record(desk._retrieval_config), **answer_side}

    def start_llm(self) -> None:
        """Start the LLM now (the local model loads for a few seconds), not at the first question."""
        self.desk._chat  # noqa: B018 - opening the backend starts the model
