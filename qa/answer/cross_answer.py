"""Answers across articles (issue 22): each side found in its own article, joined and compared in code.

Extractive, like the timeline: every claim is a value or a day that a quoted sentence states, and the
comparison ("before", "bigger", "rose from … to …", "the reports disagree") is computed, not written by
the model (the 1.5B model picks the first sentence it is offered; it cannot weigh two). A side that no
sentence states is said, and nothing is guessed for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from qa.answer.cross_question import CrossQuestion, asks_difference, wants_smaller
from qa.answer.cross_values import amount, asked_value, difference
from qa.answer.evidence import EvidenceSentence, EvidenceSource, gather_evidence
from qa.answer.judgment import coverage_of, question_words, word_weights
from qa.answer.timeline import step_day
from qa.documents import ScoredChunk
from qa.text.dates import parse_date
from qa.text.values import Value
from qa.text.words import keyword_tokens
from qa.text.written_dates import find_dates

CROSS_CHUNKS = 20  # passages searched for each side (or for the fact two reports give)
MIN_SIDE_COVERAGE = 0.3  # share of a side's (rarity-weighted) words the sentence stating it must hold
OPTION_WEIGHT = 3.0  # a side's own words ("BAFTA") count this much more than the context both share
VALUE_WINDOW = 4  # words either side of a value that say what it counts
REPORT_DAYS = 7  # a report "of Jan 9" is one published within a week of it
REPORTS_WITHIN = 0.7  # of the best report's coverage: how well another article must cover a fact
# What asks how reports compare, not what they report.
_ASKING_HOW = re.compile(
    r"\b(?:how (?:did|has|have|had)|change[sd]?|between|from|to|agree|disagree|the same|same|differ|"
    r"according to|different|reports?|reported|report(?:ing)?|updates?|first(?:-day)?|later|next-day|"
    r"two days|do they|does it|did|do|and|its|their|on|give|cnn|usa today|the week|ap|reuters)\b",
    re.I,
)
Search = Callable[[str], Sequence[ScoredChunk]]


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
class CrossAnswer:
    """The answer's text with [1] and [2] markers, and the two sources they point to (none: declined)."""

    text: str
    sources: tuple[EvidenceSource, ...]
    missing: str | None = None  # what no article states, when declined


def answer_across(cross: CrossQuestion, search: Search, as_of: date) -> CrossAnswer:
    """The answer to `cross`, from the articles `search` finds for each side (or for the question)."""
    queries = cross.side_queries()
    if cross.options is not None and queries is not None:
        picks = [
            _best(
                _ranked(
                    query,
                    option,
                    search(query),
                    need_value=cross.kind != "order",
                    other=other,
                    asked=cross.question,
                )
            )
            for query, option, other in zip(queries, cross.options, cross.options[::-1], strict=True)
        ]
        for pick, option in zip(picks, cross.options, strict=True):
            if pick is None:
                return CrossAnswer("", (), option)
        first, second = picks[0], picks[1]
        assert first is not None and second is not None
        if cross.kind == "order":
            return _order(cross, first, second)
        return _comparison(cross, first, second)
    topic = fact_asked(cross.question)
    reports = _reports(_ranked(topic, "", search(topic), need_value=True, asked=cross.question))
    pair = _pair(cross, reports, as_of)
    if pair is None:
        return CrossAnswer("", (), "two reports of it" if reports else "it")
    return _two_reports(cross, *pair)


def fact_asked(question: str) -> str:
    """The fact two reports are compared on: the question less the words that ask how they compare
    ("how did … change", "do … agree", "between the Jan 9 and Jan 16 reports", the outlets)."""
    text = _ASKING_HOW.sub(" ", question)
    for written in reversed(find_dates(text)):
        text = text[: written.start] + text[written.end :]
    return " ".join(text.split())


def _ranked(
    query: str,
    option: str,
    hits: Sequence[ScoredChunk],
    *,
    need_value: bool,
    other: str = "",
    asked: str = "",
) -> list[SidePick]:
    """Every sentence of the found articles that states the side (a value of it, when `need_value`), best
    first; `asked` is the whole question, which says what kind of value is wanted. A sentence's coverage
    counts its article's headline for a third and, for a value, the asked words next to it for another
    third ("18 deaths" for a death toll, not "315,000 homes")."""
    sources = gather_evidence(query, hits, sentences_per_article=0, neighbours=False)
    words = [[set(keyword_tokens(s.text)) for s in source.sentences] for source in sources]
    weights = word_weights(question_words(query), words)
    own = set(question_words(option)) - set(question_words(other))
    weights = {w: v * (OPTION_WEIGHT if w in own else 1.0) for w, v in weights.items()}
    picks = []
    for source, held in zip(sources, words, strict=True):
        title = set(keyword_tokens(source.article.title))
        for sentence, sentence_words in zip(source.sentences, held, strict=True):
            if own and not own & (sentence_words | title):
                continue  # a side's sentence names the side: "BAFTA", not only the film
            score = (
                2 * coverage_of(sentence_words, weights) + coverage_of(sentence_words | title, weights)
            ) / 3
            value = asked_value(sentence.text, asked or query, weights) if need_value else None
            if need_value:
                if value is None:
                    continue
                score = (2 * score + _closeness(sentence.text, value, weights)) / 3
            if score >= MIN_SIDE_COVERAGE:
                picks.append(SidePick(source, sentence, score, value))
    return sorted(picks, key=lambda p: -p.score)


def _closeness(sentence: str, value: Value, weights: dict[str, float]) -> float:
    """The weighted share of the asked words within a few words of `value`."""
    before = keyword_tokens(sentence[: value.start])[-VALUE_WINDOW:]
    after = keyword_tokens(sentence[value.end :])[:VALUE_WINDOW]
    return coverage_of(set(before) | set(after), weights)


def _best(picks: Sequence[SidePick]) -> SidePick | None:
    """The side's best sentence; for an event, one that states its day if it covers nearly as much."""
    if not picks:
        return None
    dated = [p for p in picks if p.score >= 0.9 * picks[0].score and _stated_day(p) is not None]
    return dated[0] if dated and picks[0].value is None else picks[0]


def _reports(picks: Sequence[SidePick]) -> list[SidePick]:
    """The best sentence of each article that reports the fact nearly as fully as the best one does."""
    best: dict[str, SidePick] = {}
    for pick in picks:
        best.setdefault(pick.source.article.id, pick)
    top = picks[0].score if picks else 0.0
    return [p for p in best.values() if p.score >= REPORTS_WITHIN * top]


def _pair(cross: CrossQuestion, reports: list[SidePick], as_of: date) -> tuple[SidePick, SidePick] | None:
    """The two reports the question compares: by the outlets it names, the days it names, else the
    earliest and latest (a change) or the two best (a disagreement)."""
    if len(reports) < 2:
        return None
    asked = re.sub(r"[^a-z0-9]", "", cross.question.lower())
    named: dict[str, SidePick] = {}
    for pick in reports:  # best first: the best report of each outlet the question names
        key = re.sub(r"[^a-z0-9]", "", outlet_of(pick).lower().removesuffix(".com"))
        if len(key) >= 3 and key in asked:
            named.setdefault(key, pick)
    if len(named) >= 2:
        first, second, *_ = named.values()
        return _by_day(first, second)
    days = _question_days(cross.question, as_of)
    if len(days) >= 2:
        early = _nearest(reports, days[0], ())
        late = _nearest(reports, days[-1], (early.source.article.id,) if early else ())
        if early is not None and late is not None:
            return _by_day(early, late)
    if cross.kind == "disagreement":
        return _by_day(reports[0], reports[1])
    dated = sorted(reports, key=lambda p: p.published or date.min)
    return dated[0], dated[-1]


def _nearest(reports: list[SidePick], day: date, taken: Sequence[str]) -> SidePick | None:
    """The report published nearest `day` (within REPORT_DAYS), not of an article `taken`."""
    free = [
        (abs((published - day).days), -p.score, p)
        for p in reports
        if p.source.article.id not in taken and (published := p.published) is not None
    ]
    near = min(free, key=lambda item: item[:2], default=None)
    return near[2] if near is not None and near[0] <= REPORT_DAYS else None


def _by_day(a: SidePick, b: SidePick) -> tuple[SidePick, SidePick]:
    return (a, b) if (a.published or date.min) <= (b.published or date.min) else (b, a)


def _question_days(question: str, as_of: date) -> list[date]:
    """The days the question names, in its order: a day of a month is the latest such day by `as_of`,
    a month its 15th."""
    days = []
    for written in find_dates(question):
        key = written.key
        if key.startswith("--"):
            month, day = int(key[2:4]), int(key[5:7])
            year = as_of.year if (month, day) <= (as_of.month, as_of.day) else as_of.year - 1
            days.append(date(year, month, day))
        elif len(key) == 10:
            days.append(date.fromisoformat(key))
        else:
            days.append(date(int(key[:4]), int(key[5:7]), 15))
    return days


def _stated_day(pick: SidePick) -> date | None:
    dated = step_day(pick.sentence.text, pick.published)
    return dated[0] if dated and dated[1] == "text" else None


def _day_said(pick: SidePick) -> str:
    """The day of a side's event, and whether the sentence states it or only its article's date does."""
    dated = step_day(pick.sentence.text, pick.published)
    if dated is None:
        return "on a day no article states"
    day, source = dated
    said = f"{day:%-d %B %Y}"
    return f"on {said}" if source == "text" else f"by {said} (the date of the report)"


def _order(cross: CrossQuestion, first: SidePick, second: SidePick) -> CrossAnswer:
    assert cross.options is not None
    a, b = step_day(first.sentence.text, first.published), step_day(second.sentence.text, second.published)
    if a is None or b is None:
        return CrossAnswer("", (), cross.options[0] if a is None else cross.options[1])
    verdict = "Before" if a[0] < b[0] else "After" if a[0] > b[0] else "On the same day"
    if a[0] == b[0] and a[1] == b[1] == "published":
        verdict = "Reported on the same day"
    text = (
        f"{verdict}: {cross.options[0]} {_day_said(first)} [1]; {cross.options[1]} {_day_said(second)} [2]."
    )
    return _cited(text, first, second)


def _comparison(cross: CrossQuestion, first: SidePick, second: SidePick) -> CrossAnswer:
    assert cross.options is not None
    a, b = amount(first.value), amount(second.value)
    first_side, second_side = cross.options
    both = f"{_capital(first_side)}: {first.shown_value} [1]; {second_side}: {second.shown_value} [2]."
    if a is None or b is None:
        return _cited(both, first, second)
    if a == b:
        return _cited(f"The same: {both}", first, second)
    smaller = wants_smaller(cross.question)
    winner = cross.options[0] if (a < b) == smaller else cross.options[1]
    text = f"{_capital(winner)}. {both}"
    if asks_difference(cross.question):
        text += f" The difference is {difference(first.value, a, b)}."
    return _cited(text, first, second)


def _two_reports(cross: CrossQuestion, first: SidePick, second: SidePick) -> CrossAnswer:
    a, b = amount(first.value), amount(second.value)
    said = [f"{_who(p)} says {p.shown_value} [{n}]" for n, p in ((1, first), (2, second))]
    if cross.kind == "disagreement":
        if a is not None and a == b:
            return _cited(f"Yes: both say {first.shown_value} [1] [2].", first, second)
        return _cited(f"No: {said[0]}; {said[1]}.", first, second)
    verb = "went" if a is None or b is None else "rose" if b > a else "fell" if b < a else "stayed the same"
    text = (
        f"It {verb} from {first.shown_value} ({_report(first)}) [1] "
        f"to {second.shown_value} ({_report(second)}) [2]."
    )
    if asks_difference(cross.question) and a is not None and b is not None:
        text += f" The difference is {difference(first.value, a, b)}."
    return _cited(text, first, second)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def outlet_of(pick: SidePick) -> str:
    """Who published the pick's article: its outlet, else its web site's name ("usatoday.com")."""
    article = pick.source.article
    if article.source:
        return article.source
    host = urlsplit(article.url or "").hostname or ""
    return ".".join(host.removeprefix("www.").split(".")[-2:]) if host else ""


def _who(pick: SidePick) -> str:
    """ "CNN (2022-12-26)": who reported, and when."""
    published = pick.source.article.published
    who = outlet_of(pick) or "a report"
    return f"{who} ({published})" if published else who


def _report(pick: SidePick) -> str:
    who = outlet_of(pick) or "a report"
    published = pick.source.article.published
    return f"{who}, {published}" if published else who


def _cited(text: str, first: SidePick, second: SidePick) -> CrossAnswer:
    sources = tuple(
        EvidenceSource(n, pick.source.article, (pick.sentence,), pick.sentence)
        for n, pick in ((1, first), (2, second))
    )
    return CrossAnswer(text, sources)
