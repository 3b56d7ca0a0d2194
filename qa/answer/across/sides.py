"""One side of a question across articles (issue 22): the sentences of the found articles that state it,
best first, each with the figure it gives (or, for an event, the day it tells)."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from qa.answer.across.values import asked_values, joined, stem, stems, words_beside
from qa.answer.evidence import EvidenceSentence, EvidenceSource, gather_evidence
from qa.answer.judgment import coverage_of, question_names, question_words, word_weights
from qa.answer.step_days import step_day
from qa.documents import ArticleInfo, ScoredChunk
from qa.text.dates import parse_date
from qa.text.values import Value
from qa.text.written_dates import A_YEAR, MONTH_NAMES, month_number

MIN_SIDE_COVERAGE = 0.2  # share of a side's (rarity-weighted) words the sentence stating it must hold
OPTION_WEIGHT = 3.0  # a side's own words ("BAFTA") count this much more than the context both share
NAMES_SHARE = 1 / 3  # "the 2024 Park Fire" is named by "Park Fire", "Lopez v. Apple" by "Apple"
COMPOUND_PART = 4  # letters of each part of a compound word read as its head ("foot|bridge")
VALUES_PER_SENTENCE = 2  # figures of one sentence that may be the one asked for


@dataclass(frozen=True)
class SidePick:
    """One side's evidence: the article, the sentence that states it, and what that sentence says."""

    source: EvidenceSource
    sentence: EvidenceSentence
    score: float
    value: Value | None  # the figure it states (None for an order question's event)

    @property
    def shown_value(self) -> str:
        """The value as the sentence writes it."""
        return self.sentence.text[self.value.start : self.value.end] if self.value else ""

    @property
    def published(self) -> date | None:
        """Its article's publication day."""
        return parse_date(self.source.article.published)


@dataclass(frozen=True)
class SideWords:
    """What only one side of a question says: its words, its names and its years."""

    own: frozenset[str]
    names: frozenset[str]  # names and numbers of the side: its sentence holds NAMES_SHARE of their weight
    years: frozenset[str]  # "in 2023" against "in 2024": stated in the sentence, or the article's year
    months: frozenset[int] = frozenset()  # "in June" against "in August": likewise, the article's month

    @classmethod
    def of(cls, option: str, other_query: str, event: str = "") -> SideWords:
        """The words of `option` that the other side's search does not have, and the `event` both sides
        did ("opened" in "which opened first, A or B": the sentence of A's opening, not any of A's)."""
        option, other_query = joined(option), joined(other_query)
        own = frozenset(asked_words(option)) - set(asked_words(other_query)) | set(asked_words(event))
        years = frozenset(A_YEAR.findall(option)) - set(A_YEAR.findall(other_query))
        months = frozenset(_months_named(option) - _months_named(other_query))
        # question_names skips a first word (capitalised anyway): a side may start with a name ("AT&T's …")
        names = {stem(w) for w in question_names(f"- {option}")}
        return cls(own, frozenset(names & own), years, months)

    def named_in(self, held: set[str], weights: dict[str, float], text: str, published: str | None) -> bool:
        """Does a sentence holding `held` (with its headline) name this side?"""
        if self.years and not any(y in text or (published or "").startswith(y) for y in self.years):
            return False
        if self.months and not any(
            m in _months_named(text) or (published or "")[5:7] == f"{m:02d}" for m in self.months
        ):
            return False
        if self.names:
            return coverage_of(held, {n: weights.get(n, 1.0) for n in self.names}) >= NAMES_SHARE
        return not self.own or bool(self.own & held)


# A month as a side names it: in full, or cut short with a dot ("Aug.", "Sept.").
_MONTH_WORD = re.compile(
    r"\b(" + "|".join(MONTH_NAMES) + r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.)"
)


def _months_named(text: str) -> set[int]:
    """The months `text` names, as numbers."""
    return {month_number(m.group(1)) for m in _MONTH_WORD.finditer(text)}


def asked_words(text: str) -> list[str]:
    """The question's content words (judgment.question_words), as `stems` cuts them."""
    return list(dict.fromkeys(stem(w) for w in question_words(joined(text))))


def ranked(
    query: str,
    hits: Sequence[ScoredChunk],
    *,
    need_value: bool,
    side: SideWords | None = None,
    asked: str = "",
    ignored: frozenset[str] = frozenset(),
) -> list[SidePick]:
    """Every sentence of the found articles that states the side (a value of it, when `need_value`), best
    first; `asked` is the whole question, which says what kind of value is wanted; `ignored`: words
    that are not what the sentence must say (the outlets a question names). A sentence's coverage
    counts its article's headline for a third and, for a value, the asked words next to it for another
    third ("18 deaths" for a death toll, not "315,000 homes")."""
    sources = gather_evidence(query, hits, sentences_per_article=0, neighbours=False)
    words = [[set(stems(s.text)) for s in source.sentences] for source in sources]
    weights = word_weights([w for w in asked_words(query) if w not in ignored], words)
    own = side.own if side else frozenset()
    weights = {w: v * (OPTION_WEIGHT if w in own else 1.0) for w, v in weights.items()}
    picks = []
    for source, held in zip(sources, words, strict=True):
        article = source.article
        title = set(stems(article.title))
        for sentence, sentence_words in zip(source.sentences, held, strict=True):
            sentence_words = sentence_words | compounds_held(sentence_words | title, weights)
            if side and not side.named_in(sentence_words | title, weights, sentence.text, article.published):
                continue  # a side's sentence names the side: "BAFTA", not only the film
            score = (
                2 * coverage_of(sentence_words, weights) + coverage_of(sentence_words | title, weights)
            ) / 3
            if not need_value:
                if score >= MIN_SIDE_COVERAGE:
                    picks.append(SidePick(source, sentence, score, None))
                continue
            # A sentence may give the figure asked beside another ("$999 for the Pro and $1199 for the
            # Pro Max"): its likeliest two, each scored by the asked words beside it.
            for value in asked_values(sentence.text, asked or query, weights)[:VALUES_PER_SENTENCE]:
                scored = (2 * score + _closeness(sentence.text, value, weights)) / 3
                if scored >= MIN_SIDE_COVERAGE:
                    picks.append(SidePick(source, sentence, scored, value))
    return sorted(picks, key=lambda p: -p.score)


def compounds_held(held: set[str], asked: Collection[str]) -> set[str]:
    """The asked compounds whose head word is held: a "footbridge" asked is the "bridge" a report names, a
    "wildfire" its "fire" (both parts of four letters at least: "report" is no "port")."""
    heads = [head for head in held if len(head) >= COMPOUND_PART]
    return {word for word in asked if word not in held and any(_compound_of(word, head) for head in heads)}


def _compound_of(word: str, head: str) -> bool:
    # A stem may lose the "e" its shorter head keeps: "wildfir" is "wildfire", the compound of "fire".
    whole = word if word.endswith(head) else f"{word}e"
    return whole.endswith(head) and len(whole) - len(head) >= COMPOUND_PART


def _closeness(sentence: str, value: Value, weights: dict[str, float]) -> float:
    """The weighted share of the asked words within a few words of `value`."""
    return coverage_of(words_beside(sentence, value), weights)


def best_pick(picks: Sequence[SidePick]) -> SidePick | None:
    """The side's best sentence; for an event, one that states its day if it covers nearly as much."""
    if not picks:
        return None
    dated = [p for p in picks if p.score >= 0.9 * picks[0].score and stated_day(p) is not None]
    return dated[0] if dated and picks[0].value is None else picks[0]


def outlet_of(article: ArticleInfo) -> str:
    """Who published `article`: its outlet, else its web site's name ("usatoday.com")."""
    if article.source:
        return article.source
    host = urlsplit(article.url or "").hostname or ""
    return ".".join(host.removeprefix("www.").split(".")[-2:]) if host else ""


def stated_day(pick: SidePick) -> date | None:
    dated = step_day(pick.sentence.text, pick.published)
    return dated[0] if dated and dated[1] == "text" else None
