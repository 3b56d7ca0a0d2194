"""Stage 6: answer a question from the evidence in the retrieved articles, and check every citation.
A question across articles (comparison, order, change, agreement) is answered in code: `qa.answer.across`.

The LLM sees the reference date and one numbered, dated source per article (the sentences that bear on
the question), delimited as data, and must cite them inline as [n]. Markers are validated while the
answer streams: one that points at no given source never reaches the reader and is counted; one whose
source lacks the claim's names and numbers is re-pointed to a source that has them. An answer that no
cited sentence supports is withdrawn. When retrieval finds nothing relevant, the evidence does not state
what is asked, or no source is from the period the question names, the LLM is not called.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from qa.answer.across.question import cross_question
from qa.answer.across.stream import StoryLookup, cross_opening
from qa.answer.citations import (
    CitationFilter,
    SourceMatcher,
    build_citations,
    checked_pieces,
    claims_citing,
    source_stating,
)
from qa.answer.clock import GenerationClock, ms_since
from qa.answer.condense import condense_question
from qa.answer.evidence import EvidenceSource, gather_evidence, given_sources, related_sources
from qa.answer.judgment import DEFAULT_MODEL, answers_what_is_asked, evidence_signals
from qa.answer.period import no_source_in_period, period_not_covered, sources_for_period
from qa.answer.prompt import (
    EXAMPLE_ANSWER,
    HUMAN_TEMPLATE,
    INSTRUCTIONS,
    example_prompt,
    format_sources,
    is_abstention,
    reference_day,
)
from qa.answer.question import checked_question
from qa.answer.stream import AnswerStream, Opening
from qa.answer.support import supports
from qa.documents import SearchFilter
from qa.errors import PromptTooLongError
from qa.results import (
    ABSTAIN_TEXT,
    AbstainReason,
    AnswerResult,
    Citation,
    Generation,
    Judgment,
    Retrieval,
    Timings,
)
from qa.settings import StageConfig
from qa.text.markers import strip_markers

if TYPE_CHECKING:
    from qa.llm import ChatBackend, LlmConfig
    from qa.retrieval import Retriever

log = logging.getLogger(__name__)

_ROLES = {"human": "user", "ai": "assistant", "system": "system"}  # LangChain's names -> chat roles


@dataclass(frozen=True)
class AnswerConfig(StageConfig):
    """What an answer depends on beyond retrieval and the LLM; each field is the setting of the same name."""

    max_question_chars: int
    evidence_sentences: int
    evidence_first_sentences: int
    evidence_next_sentence: bool
    evidence_min_share: float
    answer_support_check: bool
    judgment_min: float
    cross_article_answers: bool


class AnswerEngine:
    """Retrieve, prompt, stream, validate: the one answer path for CLI, web and evaluation."""

    def __init__(
        self,
        config: AnswerConfig,
        retriever: Retriever,
        backend: Callable[[], ChatBackend],
        *,
        llm: LlmConfig,
        llm_label: str,
        embedding_label: str,
    ) -> None:
        from langchain_core.prompts import ChatPromptTemplate

        self.config = config
        self._llm = llm  # the prompt must fit its window with room for the answer
        self._retriever = retriever
        # Opened on first use: a question declined before the model (or refused) never starts it.
        self._open_backend = backend
        self.llm_label = llm_label
        self.embedding_label = embedding_label
        self._prompt = ChatPromptTemplate.from_messages(
            [
                ("human", example_prompt().replace("{", "{{").replace("}", "}}")),
                ("ai", EXAMPLE_ANSWER),
                ("human", HUMAN_TEMPLATE),
            ]
        )

    @property
    def _backend(self) -> ChatBackend:
        return self._open_backend()

    def _generate(self, inputs: dict[str, str]) -> Iterable[str]:
        from langchain_core.output_parsers import StrOutputParser

        return (self._prompt | self._backend.chat_model | StrOutputParser()).stream(inputs)

    def condense(self, question: str, history: list[tuple[str, str]]) -> str:
        """The follow-up `question` rewritten to stand alone, using the conversation so far."""
        return condense_question(self._backend.chat_model, question, history)

    def stream(
        self,
        question: str,
        *,
        k: int | None = None,
        search_filter: SearchFilter | None = None,
        as_of: date,
        stories: StoryLookup | None = None,
    ) -> AnswerStream:
        """The answer to `question` asked on `as_of`, as a stream: its `sources` once the judgment is done
        (before the model), then the checked text; its `result` has the citations, timings and counts.
        `stories` gives each article's story: two reports compared are of one story."""
        question = checked_question(question, self.config.max_question_chars)

        def start() -> Opening:
            cross = cross_question(question) if self.config.cross_article_answers else None
            if cross is not None:  # answered from two articles in code: the model is not asked
                return cross_opening(
                    cross,
                    lambda query, n: self._retriever.retrieve(
                        query, k=n, search_filter=search_filter, as_of=as_of
                    ),
                    as_of,
                    stories=stories,
                    read_whole=self._retriever.whole_articles,
                    llm_label=self.llm_label,
                    embedding_label=self.embedding_label,
                )
            started = time.perf_counter()
            prepared = self.prepare(question, k=k, search_filter=search_filter, as_of=as_of)
            previews = tuple(source.preview() for source in prepared.sources)
            answer = self._answer(question, prepared, as_of, started)
            return Opening(previews, prepared.declined is not None, answer)

        return AnswerStream(start)

    def prepare(
        self,
        question: str,
        *,
        k: int | None = None,
        search_filter: SearchFilter | None = None,
        as_of: date,
    ) -> Preparation:
        """Everything before the model: retrieval, the period check, the evidence and the judgment of it."""
        retrieval = self._retriever.retrieve(question, k=k, search_filter=search_filter, as_of=as_of)
        uncovered = period_not_covered(retrieval, self._retriever.config.time_slack_days)
        if uncovered:
            return Preparation(retrieval, [], None, AbstainReason.PERIOD_NOT_COVERED, uncovered)
        if not retrieval.hits:
            return Preparation(retrieval, [], None, AbstainReason.NO_RELEVANT_PASSAGE)
        sources = related_sources(
            question,
            gather_evidence(
                question,
                retrieval.hits,
                sentences_per_article=self.config.evidence_sentences,
                neighbours=self.config.evidence_next_sentence,
                first_article_sentences=self.config.evidence_first_sentences,
            ),
            min_share=self.config.evidence_min_share,
        )
        in_period = sources_for_period(retrieval.period, sources, self._retriever.config.time_slack_days)
        judged = in_period or sources
        signals = evidence_signals(
            question,
            given_sources(judged),
            best_score=max(hit.score for hit in retrieval.nearest),
            dense_articles=retrieval.dense_articles,
            keyword_articles=retrieval.keyword_articles,
        )
        judgment = Judgment(signals, DEFAULT_MODEL.probability(signals), self.config.judgment_min)
        if retrieval.period is not None and sources and not in_period:
            # Whatever the model wrote would rest on an article from outside the period and be withdrawn.
            said = no_source_in_period(retrieval.period, [s.article.published for s in sources])
            return Preparation(retrieval, sources, judgment, AbstainReason.NO_SOURCE_IN_PERIOD, said)
        reason = None if judgment.holds else AbstainReason.NOT_STATED
        return Preparation(retrieval, judged, judgment, reason)

    def _answer(
        self, question: str, prepared: Preparation, as_of: date, started: float
    ) -> Generator[str, None, AnswerResult]:
        retrieval = prepared.retrieval
        if prepared.declined is not None:
            timings = Timings(retrieval_ms=retrieval.ms, total_ms=ms_since(started))
            answer = f"{ABSTAIN_TEXT} {prepared.said}" if prepared.said else ABSTAIN_TEXT
            yield answer
            return self._result(
                question,
                answer,
                retrieval,
                timings,
                reason=prepared.declined,
                evidence=prepared.sources,
                judgment=prepared.judgment,
            )
        today = reference_day(as_of)
        sources, trimmed, prompt_tokens = self._fit_to_context(question, today, prepared.sources)
        citation_filter = CitationFilter(len(sources), SourceMatcher(sources, question))
        inputs = {
            "today": today,
            "sources": format_sources(sources),
            "question": question,
            "instructions": INSTRUCTIONS,
        }
        clock = GenerationClock(started)
        answer = yield from checked_pieces(clock.timed(self._generate(inputs)), citation_filter)
        return self._judged(
            question,
            answer,
            prepared,
            sources,
            clock,
            citation_filter,
            trimmed,
            prompt_tokens,
        )

    def _judged(
        self,
        question: str,
        answer: str,
        prepared: Preparation,
        sources: Sequence[EvidenceSource],
        clock: GenerationClock,
        citation_filter: CitationFilter,
        trimmed: int,
        prompt_tokens: int,
    ) -> AnswerResult:
        """The result of a written answer: declined, withdrawn as unsupported, or shown with its citations."""
        declined = not citation_filter.cited and is_abstention(answer)
        cited = list(citation_filter.cited)
        if not declined and not cited:
            # An answer without a marker: cite the source that states its names and numbers, if one does.
            stating = source_stating(answer, sources, question)
            if stating is not None:
                cited = [stating]
                answer = f"{answer.rstrip()} [{stating}]"
        citations = () if declined else build_citations(answer, cited, sources, question)
        why = (
            AbstainReason.MODEL_DECLINED
            if declined
            else self._withdrawal(question, answer, citations, sources)
        )
        shown = answer if why is None else ABSTAIN_TEXT
        retrieval = prepared.retrieval
        return self._result(
            question,
            shown,
            retrieval,
            clock.timings(retrieval.ms),
            abstained=why is not None,
            reason=why,
            citations=() if why else citations,
            generation=clock.generation(),
            checked=citation_filter,
            given=len(sources),
            trimmed=trimmed,
            prompt_tokens=prompt_tokens,
            withdrawn=None if why in (None, AbstainReason.MODEL_DECLINED) else answer,
            evidence=sources,
            judgment=prepared.judgment,
        )

    def _withdrawal(
        self,
        question: str,
        answer: str,
        citations: Sequence[Citation],
        sources: Sequence[EvidenceSource],
    ) -> AbstainReason | None:
        """Why a written answer is withdrawn (None: it stands)."""
        # Rule 1: a reply that only restates the question ("Ashcombe teachers earn a year") answers nothing.
        if not answers_what_is_asked(question, strip_markers(answer)):
            return AbstainReason.NOT_AN_ANSWER
        # Rule 2: an answer whose names and numbers no cited source holds (or that cites nothing) is
        # withdrawn rather than shown with a citation that does not say it. The source, not its one
        # quoted sentence, decides: a claim may join a name and a number from two sentences of it.
        stated = [supports(sources[c.n - 1].text, claims_citing(answer, c.n), question) for c in citations]
        if self.config.answer_support_check and not any(stated):
            return AbstainReason.UNSUPPORTED_ANSWER
        return None

    def _fit_to_context(
        self, question: str, today: str, sources: Sequence[EvidenceSource]
    ) -> tuple[list[EvidenceSource], int, int]:
        """Drop the lowest-ranked sources until the prompt fits the model's window; warn when it happens.

        Returns the sources kept, how many were dropped, and the prompt's length in tokens.
        """
        budget = self._llm.llm_context_window - self._llm.llm_max_tokens
        kept = list(sources)
        tokens = self._prompt_tokens(question, today, kept)
        while len(kept) > 1 and tokens > budget:
            kept.pop()
            tokens = self._prompt_tokens(question, today, kept)
        if tokens > budget:
            raise PromptTooLongError(
                f"the question with even one source takes {tokens:,} tokens, more than the "
                f"{budget:,} the model's {self._llm.llm_context_window:,}-token window leaves after "
                f"the answer's {self._llm.llm_max_tokens:,}: ask a shorter question, or raise "
                "QA_LLM_CONTEXT_WINDOW for a model that has a larger window"
            )
        trimmed = len(sources) - len(kept)
        if trimmed:
            log.warning(
                "prompt trimmed to fit the model's %d-token context window: left out %d of %d sources",
                self._llm.llm_context_window,
                trimmed,
                len(sources),
            )
        return kept, trimmed, tokens

    def _prompt_tokens(self, question: str, today: str, sources: Sequence[EvidenceSource]) -> int:
        messages = self._prompt.format_messages(
            today=today, sources=format_sources(sources), question=question, instructions=INSTRUCTIONS
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
        reason: AbstainReason | None = None,
        citations: tuple[Citation, ...] = (),
        generation: Generation | None = None,
        checked: CitationFilter | None = None,
        given: int = 0,
        trimmed: int = 0,
        prompt_tokens: int | None = None,
        withdrawn: str | None = None,
        evidence: Sequence[EvidenceSource] = (),
        judgment: Judgment | None = None,
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
            prompt_tokens=prompt_tokens,
            llm_called=checked is not None,
            llm=self.llm_label,
            embedding_model=self.embedding_label,
            abstain_reason=reason,
            withdrawn_answer=withdrawn,
            evidence=given_sources(evidence),
            judgment=judgment,
            dense_articles=retrieval.dense_articles,
            keyword_articles=retrieval.keyword_articles,
        )


@dataclass(frozen=True)
class Preparation:
    """What is known before the model: retrieval, the evidence, its judgment, and a decline if any."""

    retrieval: Retrieval
    sources: list[EvidenceSource]
    judgment: Judgment | None
    declined: AbstainReason | None = None
    said: str | None = None  # what a decline adds to the abstention text (the period check's why)
