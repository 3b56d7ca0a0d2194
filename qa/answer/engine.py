"""Stage 6: answer a question from retrieved chunks with a LangChain chain, and check every citation.

The LLM sees numbered sources, delimited as data, and must cite them inline as [n]. Markers are
validated while the answer streams: one that points at no given source never reaches the reader and
is counted. When retrieval finds nothing relevant, the LLM is not called at all.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Iterable, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from qa.answer.citations import CitationFilter, SourceMatcher, build_citations
from qa.answer.condense import condense_question
from qa.answer.prompt import (
    EXAMPLE_ANSWER,
    HUMAN_TEMPLATE,
    INSTRUCTIONS,
    example_prompt,
    format_sources,
    is_abstention,
)
from qa.answer.stream import AnswerStream
from qa.documents import ScoredChunk, SearchFilter
from qa.errors import InvalidInputError
from qa.results import ABSTAIN_TEXT, AnswerResult, Citation, Generation, Retrieval, Timings

if TYPE_CHECKING:
    from qa.llm import ChatBackend
    from qa.retrieval import Retriever
    from qa.settings import Settings

log = logging.getLogger(__name__)

_ROLES = {"human": "user", "ai": "assistant", "system": "system"}  # LangChain's names -> chat roles


class AnswerEngine:
    """Retrieve, prompt, stream, validate: the one answer path for CLI, web and evaluation."""

    def __init__(
        self, settings: Settings, retriever: Retriever, backend: ChatBackend, *, embedding_label: str
    ) -> None:
        from langchain_core.output_parsers import StrOutputParser
        from langchain_core.prompts import ChatPromptTemplate

        self._settings = settings
        self._retriever = retriever
        self._backend = backend
        self.llm_label = backend.label
        self.embedding_label = embedding_label
        self._prompt = ChatPromptTemplate.from_messages(
            [
                ("human", example_prompt().replace("{", "{{").replace("}", "}}")),
                ("ai", EXAMPLE_ANSWER),
                ("human", HUMAN_TEMPLATE),
            ]
        )
        self._generate = self._prompt | backend.chat_model | StrOutputParser()

    def condense(self, question: str, history: list[tuple[str, str]]) -> str:
        """The follow-up `question` rewritten to stand alone, using the conversation so far."""
        return condense_question(self._backend.chat_model, question, history)

    def stream(
        self,
        question: str,
        *,
        k: int | None = None,
        search_filter: SearchFilter | None = None,
        as_of: date | None = None,
    ) -> AnswerStream:
        """The answer as a stream of checked text; its `result` has the citations, timings and counts."""
        question = question.strip()
        if not question:
            raise InvalidInputError("the question is empty")
        return AnswerStream(self._answer(question, k, search_filter, as_of))

    def _answer(
        self, question: str, k: int | None, search_filter: SearchFilter | None, as_of: date | None
    ) -> Generator[str, None, AnswerResult]:
        started = time.perf_counter()
        retrieval = self._retriever.retrieve(question, k=k, search_filter=search_filter, as_of=as_of)
        uncovered = period_not_covered(retrieval, self._settings.time_slack_days)
        if uncovered or not retrieval.hits:
            timings = Timings(retrieval_ms=retrieval.ms, total_ms=_ms_since(started))
            answer = f"{ABSTAIN_TEXT} {uncovered}" if uncovered else ABSTAIN_TEXT
            yield answer
            reason = "period_not_covered" if uncovered else "no_relevant_passage"
            return self._result(question, answer, retrieval, timings, reason=reason)

        hits, trimmed = self._fit_to_context(question, retrieval.hits)
        citation_filter = CitationFilter(len(hits), SourceMatcher(hits))
        inputs = {"sources": format_sources(hits), "question": question, "instructions": INSTRUCTIONS}
        clock = _GenerationClock(started)
        parts: list[str] = []
        for piece in clock.timed(self._generate.stream(inputs)):
            shown = citation_filter.feed(piece)
            if shown:
                parts.append(shown)
                yield shown
        tail = citation_filter.flush()
        if tail:
            parts.append(tail)
            yield tail
        answer = "".join(parts).strip()
        abstained = not citation_filter.cited and is_abstention(answer)
        return self._result(
            question,
            ABSTAIN_TEXT if abstained else answer,
            retrieval,
            clock.timings(retrieval.ms),
            abstained=abstained,
            reason="model_declined" if abstained else None,
            citations=() if abstained else build_citations(answer, citation_filter.cited, hits),
            generation=clock.generation(),
            checked=citation_filter,
            given=len(hits),
            trimmed=trimmed,
        )

    def _fit_to_context(self, question: str, hits: Sequence[ScoredChunk]) -> tuple[list[ScoredChunk], int]:
        """Drop the lowest-ranked sources until the prompt fits the model's window; warn when it happens."""
        budget = self._settings.llm_context_window - self._settings.llm_max_tokens
        kept = list(hits)
        while len(kept) > 1 and self._prompt_tokens(question, kept) > budget:
            kept.pop()
        trimmed = len(hits) - len(kept)
        if trimmed:
            log.warning(
                "prompt trimmed to fit the model's %d-token context window: left out %d of %d sources",
                self._settings.llm_context_window,
                trimmed,
                len(hits),
            )
        return kept, trimmed

    def _prompt_tokens(self, question: str, hits: Sequence[ScoredChunk]) -> int:
        messages = self._prompt.format_messages(
            sources=format_sources(hits), question=question, instructions=INSTRUCTIONS
        )
        return self._backend.count_prompt_tokens([(_ROLES.get(m.type, m.type), m.text) for m in messages])

    def _result(
        self,
        question: str,
        answer: str,
        retrieval: Retrieval,
        timings: Timings,
        *,
        abstained: bool = True,
        reason: str | None = None,
        citations: tuple[Citation, ...] = (),
        generation: Generation | None = None,
        checked: CitationFilter | None = None,
        given: int = 0,
        trimmed: int = 0,
    ) -> AnswerResult:
        return AnswerResult(
            question=question,
            answer=answer,
            abstained=abstained,
            citations=citations,
            retrieved=tuple(retrieval.nearest),
            timings=timings,
            generation=generation or Generation(),
            invalid_citations=checked.invalid if checked else 0,
            corrected_citations=checked.corrected if checked else 0,
            sources_given=given,
            sources_trimmed=trimmed,
            llm_called=checked is not None,
            llm=self.llm_label,
            embedding_model=self.embedding_label,
            abstain_reason=reason,
        )


def period_not_covered(retrieval: Retrieval, slack_days: int) -> str | None:
    """Why the articles cannot hold the answer when the question's time words point to a time that no
    article is from (None when they can, or when the question names no time).

    Only the named period counts, never the reference date alone: a question without time words asked
    years after its articles is still answered.
    """
    period, covered = retrieval.period, retrieval.covered
    if period is None or covered is None or covered.start is None or covered.end is None:
        return None
    after = period.start is not None and period.start > covered.end + timedelta(days=slack_days)
    before = period.end is not None and period.end < covered.start
    if not (after or before):
        return None
    return (
        f"The question is about {period}, and the indexed articles were published from "
        f"{covered.since} to {covered.until}."
    )


class _GenerationClock:
    """Times a streamed generation: first piece, last piece, and pieces per second of decoding."""

    def __init__(self, request_started: float) -> None:
        self._request_started = request_started
        self._started = self._first = self._finished = time.perf_counter()
        self._pieces = 0

    def timed(self, pieces: Iterable[str]) -> Iterable[str]:
        """Pass `pieces` through, noting when the first and the last arrive."""
        for piece in pieces:
            if self._pieces == 0:
                self._first = time.perf_counter()
            self._pieces += 1
            yield piece
        self._finished = time.perf_counter()

    def timings(self, retrieval_ms: float) -> Timings:
        """Milliseconds by stage, the total up to now."""
        return Timings(
            retrieval_ms=retrieval_ms,
            first_token_ms=(self._first - self._request_started) * 1000 if self._pieces else None,
            generation_ms=(self._finished - self._started) * 1000,
            total_ms=_ms_since(self._request_started),
        )

    def generation(self) -> Generation:
        """Pieces streamed, and pieces per second after the first (reading the prompt is not decoding)."""
        decoding_s = self._finished - self._first
        speed = (self._pieces - 1) / decoding_s if self._pieces > 1 and decoding_s > 0 else 0.0
        return Generation(tokens=self._pieces, tokens_per_s=speed)


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
