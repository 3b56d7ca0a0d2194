"""What the facade hands to presenters: answers with citations, what is known before the model, and
(in `index`, re-exported here) ingest reports and index figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from qa.documents import ArticleInfo, DateRange, ScoredChunk
from qa.results.index import DeletedArticle as DeletedArticle
from qa.results.index import IndexStats as IndexStats
from qa.results.index import IngestReport as IngestReport
from qa.results.index import Source as Source

ABSTAIN_TEXT = "I can't find that in the indexed articles."
"""What the product says, in so many words, when the articles do not hold the answer."""


class AbstainReason(StrEnum):
    """Why an answer abstained. The values are part of `qa ask --json`, the API and eval results."""

    NO_RELEVANT_PASSAGE = "no_relevant_passage"  # nothing reached the relevance threshold: no LLM call
    PERIOD_NOT_COVERED = (
        "period_not_covered"  # its time words point to a time no article is from: no LLM call
    )
    MODEL_DECLINED = "model_declined"  # the LLM said its sources do not hold the answer
    UNSUPPORTED_ANSWER = "unsupported_answer"  # no cited sentence holds the answer's names and numbers
    NOT_AN_ANSWER = "not_an_answer"  # the reply adds nothing of the kind asked for to the question's words
    NOT_STATED = "not_stated"  # no evidence sentence states what is asked (the judgment): no LLM call
    NO_SOURCE_IN_PERIOD = (
        "no_source_in_period"  # no source is from the period the question names: no LLM call
    )
    SIDE_NOT_STATED = "side_not_stated"  # a question across articles: no article states one side of it

    def explain(self, result: AnswerResult) -> str:
        """What this reason means for `result`, in one clause (no capital, no stop) every presenter shows."""
        match self:
            case AbstainReason.NO_RELEVANT_PASSAGE:
                return "no passage reached the relevance threshold"
            case AbstainReason.PERIOD_NOT_COVERED:
                # The answer step said which period was asked about and which dates the articles cover.
                said = result.answer.removeprefix(ABSTAIN_TEXT).strip().removesuffix(".")
                return said[:1].lower() + said[1:]
            case AbstainReason.MODEL_DECLINED:
                given = result.sources_given or len(result.retrieved)
                return (
                    f"the model found no answer in the {given} source{'' if given == 1 else 's'} it was given"
                )
            case AbstainReason.UNSUPPORTED_ANSWER:
                return (
                    f"the model answered “{result.withdrawn_answer}”, but no sentence it cited says so: "
                    "the answer was withdrawn"
                )
            case AbstainReason.NOT_AN_ANSWER:
                return (
                    f"the model replied “{result.withdrawn_answer}”, which does not say what was asked: "
                    "the reply was withdrawn"
                )
            case AbstainReason.NOT_STATED:
                return _not_stated(result.judgment)
            case AbstainReason.NO_SOURCE_IN_PERIOD | AbstainReason.SIDE_NOT_STATED:
                said = result.answer.removeprefix(ABSTAIN_TEXT).strip().removesuffix(".")
                return said[:1].lower() + said[1:]


@dataclass(frozen=True)
class Prepared:
    """What is known of a question before the model: the evidence, its judgment, and a decline if any."""

    evidence: tuple[GivenSource, ...]
    judgment: Judgment | None
    declined: AbstainReason | None


def _not_stated(judgment: Judgment | None) -> str:
    """Why the evidence was judged not to hold the answer, from what the judgment read."""
    if judgment is None:
        return "no source sentence states what the question asks"
    signals = judgment.signals
    said = (
        f"no source sentence states what the question asks: the closest holds "
        f"{signals.coverage:.0%} of its key words"
    )
    if signals.missing:
        said += ", and " + ", ".join(f"“{w}”" for w in signals.missing[:3]) + " appear in none"
    return said


@dataclass(frozen=True)
class Retrieval:
    """Chunks a question found: `hits` passed the relevance threshold, `nearest` is all that was looked at."""

    hits: list[ScoredChunk]
    nearest: list[ScoredChunk]
    ms: float
    period: DateRange | None = None  # what its time words point to ("this week"), if any
    covered: DateRange | None = None  # publication dates of the searched articles (when a period is named)
    undated: int = 0  # searched articles with no publication date (counted when a period is named)
    dense_articles: tuple[str, ...] = ()  # the first articles of the dense ranking alone, best first
    keyword_articles: tuple[str, ...] = ()  # the first articles of the keyword ranking alone


@dataclass(frozen=True)
class GivenSource:
    """What the model read as source `n`: the article's id and date, and its evidence sentences."""

    n: int
    article_id: str
    published: str | None
    sentences: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The source as evaluation records keep it (enough to judge the evidence again without the model)."""
        return {
            "n": self.n,
            "article_id": self.article_id,
            "published": self.published,
            "sentences": list(self.sentences),
        }


@dataclass(frozen=True)
class SourcePreview:
    """A source as soon as retrieval and the judgment are done, before the model writes a word: source
    `n` of the answer to come (or, when it is declined before the model, one of the closest articles)."""

    n: int
    article: ArticleInfo  # headline, outlet, date, URL
    text: str  # what the model reads of it: its evidence sentences in article order, gaps marked
    best: str  # the sentence of `text` the evidence picker ranked first for the question

    def line(self) -> str:
        """`[n] headline — outlet, date`: the one-line form of a terminal."""
        meta = ", ".join(x for x in (self.article.source, self.article.published) if x)
        return f"[{self.n}] {self.article.title}" + (f" — {meta}" if meta else "")


@dataclass(frozen=True)
class Signals:
    """What the judgment read, each in [0, 1] (or a cosine): the fitted model's inputs, kept to explain it."""

    best_score: float  # cosine similarity of the best passage retrieved
    coverage: float  # weighted share of the question's words that one evidence sentence holds
    source_coverage: float  # the same for all the sentences of one source together
    names_found: float  # share of the question's names and numbers that one source holds (1: it has none)
    answer_type: float  # 1: a sentence that covers the question holds the kind of answer asked for
    agreement: float  # 1: dense and keyword search both rank the first source's article near the top
    missing: tuple[str, ...] = field(default=(), compare=False)  # rare question words no sentence holds

    def features(self) -> dict[str, float]:
        """The numeric signals by name (what the fitted model weighs)."""
        return {
            "best_score": self.best_score,
            "coverage": self.coverage,
            "source_coverage": self.source_coverage,
            "names_found": self.names_found,
            "answer_type": self.answer_type,
            "agreement": self.agreement,
        }

    def to_json(self) -> dict[str, object]:
        """Rounded signals and the missing words, as results and evaluation records keep them."""
        return {**{k: round(v, 4) for k, v in self.features().items()}, "missing": list(self.missing)}


@dataclass(frozen=True)
class Judgment:
    """The verdict on one answer: the signals, the probability that the evidence holds the answer."""

    signals: Signals
    probability: float
    threshold: float

    @property
    def holds(self) -> bool:
        """Is the evidence judged to hold the answer?"""
        return self.probability >= self.threshold

    def to_json(self) -> dict[str, object]:
        """The verdict as results and evaluation records keep it."""
        return {
            "signals": self.signals.to_json(),
            "probability": round(self.probability, 4),
            "threshold": self.threshold,
        }


@dataclass(frozen=True)
class Citation:
    """A source the answer cites: the article, and the passage that supports the claim."""

    n: int
    article_id: str
    title: str
    url: str | None
    published: str | None
    source: str | None
    quote: str  # the supporting sentence
    passage: str  # the whole cited chunk
    chunk_id: str
    quote_start: int  # offsets of `quote` in the cleaned article text
    quote_end: int
    supported: bool = True  # the quote holds every name and number the claim adds to the question

    def to_json(self) -> dict[str, Any]:
        """The citation as `qa ask --json` prints it (the passage is left out: it is in the index)."""
        return {
            "n": self.n,
            "article_id": self.article_id,
            "title": self.title,
            "url": self.url,
            "published": self.published,
            "source": self.source,
            "quote": self.quote,
            "chunk_id": self.chunk_id,
            "quote_start": self.quote_start,
            "quote_end": self.quote_end,
            "supported": self.supported,
        }


@dataclass(frozen=True)
class Timings:
    """Milliseconds spent on one answer; the LLM's parts are None when it was not called."""

    retrieval_ms: float
    total_ms: float
    first_token_ms: float | None = None  # from the start of the request to the first streamed piece
    generation_ms: float | None = None  # from sending the prompt to the last piece

    def to_json(self) -> dict[str, float]:
        """Rounded milliseconds by stage; stages that did not run are left out."""
        stages = {
            "retrieval": self.retrieval_ms,
            "first_token": self.first_token_ms,
            "generation": self.generation_ms,
            "total": self.total_ms,
        }
        return {name: round(ms, 1) for name, ms in stages.items() if ms is not None}


@dataclass(frozen=True)
class Generation:
    """How much the LLM wrote and how fast (decoding only: the wait for the first piece is not in it)."""

    tokens: int = 0  # streamed pieces, one token each on the local server
    tokens_per_s: float = 0.0

    def to_json(self) -> dict[str, float]:
        """Token count and speed."""
        return {"tokens": self.tokens, "tokens_per_s": round(self.tokens_per_s, 2)}


@dataclass(frozen=True)
class AnswerResult:
    """Everything about one answered question; `to_json` is the `qa ask --json` contract."""

    question: str
    answer: str
    abstained: bool
    citations: tuple[Citation, ...]
    retrieved: tuple[ScoredChunk, ...]  # everything looked at, best first, threshold or not
    timings: Timings
    generation: Generation = Generation()
    invalid_citations: int = 0  # markers that pointed at no given source, removed
    corrected_citations: int = 0  # markers re-pointed to the source that supports the claim
    sources_given: int = 0  # sources (one per article, in `retrieved` order) the LLM saw
    sources_trimmed: int = 0  # sources over the threshold left out to fit the context window
    prompt_tokens: int | None = None  # the whole prompt the LLM read, worked example included
    llm_called: bool = False
    llm: str = ""
    embedding_model: str = ""
    abstain_reason: AbstainReason | None = None
    withdrawn_answer: str | None = None  # the model's answer that was withdrawn as unsupported
    evidence: tuple[GivenSource, ...] = ()  # what the model read, source by source
    dense_articles: tuple[str, ...] = ()  # retrieval's dense ranking alone (first articles)
    keyword_articles: tuple[str, ...] = ()  # and its keyword ranking alone
    judgment: Judgment | None = None  # the verdict on the evidence (None: declined before it was read)
    across: str | None = None  # the kind of question across articles answered in code ("order", …)

    @property
    def source_articles(self) -> list[str]:
        """Ids of the articles the LLM read as sources, in source order."""
        return list(dict.fromkeys(hit.article.id for hit in self.retrieved))[: self.sources_given]

    @property
    def newest_source_date(self) -> str | None:
        """The publication day of the newest source cited: what the answer is true as of (not the day the
        question was asked on, which is `as_of` going in)."""
        return max((c.published for c in self.citations if c.published), default=None)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape read by later tooling."""
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "abstain_reason": self.abstain_reason,
            "withdrawn_answer": self.withdrawn_answer,
            "judgment": self.judgment.to_json() if self.judgment else None,
            "across": self.across,
            "newest_source_date": self.newest_source_date,
            "citations": [c.to_json() for c in self.citations],
            "retrieved": [
                {
                    "article_id": h.article.id,
                    "title": h.article.title,
                    "score": round(h.score, 4),
                    "chunk_id": h.chunk.id,
                }
                for h in self.retrieved
            ],
            "invalid_citations": self.invalid_citations,
            "corrected_citations": self.corrected_citations,
            "llm_called": self.llm_called,
            "prompt_tokens": self.prompt_tokens,
            "timings_ms": self.timings.to_json(),
            "generation": self.generation.to_json(),
            "llm": self.llm,
            "embedding_model": self.embedding_model,
        }


@dataclass(frozen=True)
class SearchScope:
    """What a question was searched in: said when the answer is that the articles don't hold it."""

    collection: str
    articles: int
    chunks: int
    min_score: float  # the similarity the best passage had to reach (`RetrievalConfig.decline_below`)
    dates: DateRange | None = None
