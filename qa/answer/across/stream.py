"""A question across articles as an answer stream: the same `Opening` and `AnswerResult` as a single
answer, so every presenter (CLI, web, API, eval) shows it, its citations and its declines unchanged."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import replace
from datetime import date

from qa.answer.across.answer import CROSS_CHUNKS, ReadWhole, answer_across
from qa.answer.across.question import CrossQuestion
from qa.answer.citations import build_citations
from qa.answer.clock import ms_since
from qa.answer.evidence import given_sources
from qa.answer.stream import Opening
from qa.documents import ScoredChunk
from qa.results import ABSTAIN_TEXT, AbstainReason, AnswerResult, Retrieval, Timings

Retrieve = Callable[[str, int], Retrieval]  # (query, k) -> what retrieval found
StoryLookup = Callable[[], Mapping[str, str]]  # article id -> its story's id, read only when needed


def cross_opening(
    cross: CrossQuestion,
    retrieve: Retrieve,
    as_of: date,
    *,
    stories: StoryLookup | None = None,
    read_whole: ReadWhole | None = None,
    llm_label: str,
    embedding_label: str,
) -> Opening:
    """Answer `cross` from its sides' articles (retrieval only, no model) and open it as a stream."""
    started = time.perf_counter()
    searched: list[Retrieval] = []

    def search(query: str) -> list[ScoredChunk]:
        found = retrieve(query, CROSS_CHUNKS)
        searched.append(found)
        return list(found.hits)

    answer = answer_across(cross, search, as_of, stories=stories, read_whole=read_whole)
    retrieved = tuple(dict.fromkeys(hit for found in searched for hit in found.nearest))
    timings = Timings(retrieval_ms=sum(found.ms for found in searched), total_ms=ms_since(started))
    if not answer.sources:
        said = f"{ABSTAIN_TEXT} No article states {answer.missing}."
        result = AnswerResult(
            question=cross.question,
            answer=said,
            abstained=True,
            citations=(),
            retrieved=retrieved,
            timings=timings,
            llm=llm_label,
            embedding_model=embedding_label,
            abstain_reason=AbstainReason.SIDE_NOT_STATED,
            across=cross.kind,
        )
        return Opening((), True, _pieces(said, result))
    sources = list(answer.sources)
    result = AnswerResult(
        question=cross.question,
        answer=answer.text,
        abstained=False,
        # Each quote is the one sentence its side's value or day was read from: it states that side (a
        # day read from "on Thursday" or from the article's date states no calendar date word for word).
        citations=tuple(
            replace(c, supported=True)
            for c in build_citations(answer.text, [s.n for s in sources], sources, cross.question)
        ),
        retrieved=retrieved,
        timings=timings,
        sources_given=len(sources),
        llm=llm_label,
        embedding_model=embedding_label,
        evidence=given_sources(sources),
        across=cross.kind,
    )
    return Opening(tuple(s.preview() for s in sources), False, _pieces(answer.text, result))


def _pieces(text: str, result: AnswerResult) -> Generator[str, None, AnswerResult]:
    yield text
    return result
