"""Answers across articles (issue 22): each side found in its own article, joined and compared in code.

Extractive, like the timeline: every claim is a value or a day that a quoted sentence states, and the
comparison ("before", "bigger", "rose from … to …", "the reports disagree") is computed, not written by
the model (the 1.5B model picks the first sentence it is offered; it cannot weigh two). A side that no
sentence states is said, and nothing is guessed for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from qa.answer.across.question import CrossQuestion, asks_difference, wants_smaller
from qa.answer.across.reports import best_reports, comparable, pair_reports, pair_score
from qa.answer.across.sides import SidePick, SideWords, best_pick, outlet_of, ranked
from qa.answer.across.values import amount, difference, is_rank, phrase_around, stems
from qa.answer.evidence import EvidenceSource
from qa.answer.step_days import step_day
from qa.documents import ScoredChunk
from qa.text.written_dates import find_dates, typed_months

SIDE_CANDIDATES = 8  # best sentences of each side weighed as a pair for a comparison
CROSS_CHUNKS = 20  # passages searched for each side (or for the fact two reports give)
# What asks how reports compare, not what they report.
_ASKING_HOW = re.compile(
    r"\b(?:how (?:did|has|have|had)|change[sd]?|between|from|to|agree|disagree|the same|same|differ|"
    r"according to|different|reports?|reported|report(?:ing)?|updates?|stor(?:y|ies)|coverage|explainers?|"
    r"articles?|live|first(?:-day)?|later|next-day|"
    r"two days|do they|does it|did|do|and|its|their|on|give|cnn|usa today|the week|ap|reuters)\b",
    re.I,
)
Search = Callable[[str], Sequence[ScoredChunk]]
ReadWhole = Callable[[str, Sequence[str]], Sequence[ScoredChunk]]  # (query, article ids) -> their passages


@dataclass(frozen=True)
class CrossAnswer:
    """The answer's text with [1] and [2] markers, and the two sources they point to (none: declined)."""

    text: str
    sources: tuple[EvidenceSource, ...]
    missing: str | None = None  # what no article states, when declined


def answer_across(
    cross: CrossQuestion,
    search: Search,
    as_of: date,
    *,
    stories: Callable[[], Mapping[str, str]] | None = None,
    read_whole: ReadWhole | None = None,
) -> CrossAnswer:
    """The answer to `cross`, from the articles `search` finds for each side (or for the question);
    `stories` (article id -> story id): two reports of the best one's story are preferred when the
    question names neither outlets nor days; `read_whole`: the found articles' every passage, so that
    a report's figure is read where the search ranked another passage of its article."""
    queries = cross.side_queries()
    if cross.options is not None and queries is not None:
        sides = [
            ranked(
                query,
                search(query),
                need_value=cross.kind != "order",
                side=SideWords.of(option, other_query, cross.event),
                asked=cross.question,
            )
            for query, option, other_query in zip(queries, cross.options, queries[::-1], strict=True)
        ]
        for picks, option in zip(sides, cross.options, strict=True):
            if not picks:
                return CrossAnswer("", (), option)
        if cross.kind == "order":
            first, second = (best_pick(_telling(picks, cross.event)) for picks in sides)
            assert first is not None and second is not None
            return _order(cross, first, second)
        # Two figures of one kind and scale, said of alike things ("$62,000 grant", "$48,500 grant").
        pairs = [
            (a, b)
            for a in sides[0][:SIDE_CANDIDATES]
            for b in sides[1][:SIDE_CANDIDATES]
            if _apart(a, b) and comparable(a.value, b.value, any_scale=True)
        ]
        if not pairs:
            return CrossAnswer("", (), f"{cross.options[0]} and {cross.options[1]} in one kind of figure")
        return _comparison(cross, *max(pairs, key=lambda pair: pair_score(*pair, alike_weight=0.5)))
    topic = fact_asked(cross.question)
    hits = search(topic)
    if read_whole is not None and hits:
        hits = read_whole(topic, list(dict.fromkeys(hit.article.id for hit in hits)))
    # "did the gazette and the times report …": the outlets say who reported, not what; a sentence
    # need not name its own outlet.
    outlets = frozenset(w for hit in hits for w in stems(outlet_of(hit.article)))
    found = ranked(topic, hits, need_value=True, asked=cross.question, ignored=outlets)
    reports = best_reports(found)
    pair = pair_reports(cross, reports, as_of, stories)
    if pair is None:
        return CrossAnswer("", (), "two reports of it" if reports else "it")
    return _two_reports(cross, *pair)


def _telling(picks: list[SidePick], event: str) -> list[SidePick]:
    """The picks whose sentence tells the `event` both sides did ("the bridge opened last Thursday", not
    "walkers have used the new Kestle bridge"), best first; all of them when none does or none is asked."""
    wanted = set(stems(event))
    telling = [p for p in picks if wanted & set(stems(p.sentence.text))] if wanted else []
    return telling or picks


def _apart(a: SidePick, b: SidePick) -> bool:
    """Are the two sides stated by two sentences (not one sentence found by both sides' searches)?"""
    return (a.source.article.id, a.sentence.text) != (b.source.article.id, b.sentence.text)


def fact_asked(question: str) -> str:
    """The fact two reports are compared on: the question less the words that ask how they compare
    ("how did … change", "do … agree", "between the Jan 9 and Jan 16 reports", the outlets)."""
    text = _ASKING_HOW.sub(" ", typed_months(question))
    for written in reversed(find_dates(text)):
        text = text[: written.start] + text[written.end :]
    return " ".join(text.split())


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
    elif cross.asks_first and a[0] != b[0]:
        verdict = f"{_capital(cross.options[0] if a[0] < b[0] else cross.options[1])} came first"
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
    # Each figure with the words it stands in, so a reader sees what each report counts ("1,100 flights
    # were canceled" against "10,000 flights were delayed or canceled").
    said = [f"{_who(p)} says {p.shown_value} ({_quoted(p)}) [{n}]" for n, p in ((1, first), (2, second))]
    if cross.kind == "disagreement":
        if a is not None and a == b:
            quotes = f"{_quoted(first)} [1]; {_quoted(second)} [2]"
            return _cited(f"Yes: both say {first.shown_value}: {quotes}.", first, second)
        return _cited(f"No: {said[0]}; {said[1]}.", first, second)
    # A rank's number falls as it climbs ("seventh-largest" to "fifth-largest"): said as it went, unjudged.
    ranks = is_rank(first.shown_value) or is_rank(second.shown_value)
    verb = (
        "went"
        if a is None or b is None or (ranks and a != b)
        else "rose"
        if b > a
        else "fell"
        if b < a
        else ""
    )
    text = (
        f"It {verb} from {first.shown_value} ({_report(first)}) [1] "
        f"to {second.shown_value} ({_report(second)}) [2]."
        if verb
        else f"It did not change: {first.shown_value} ({_report(first)}) [1], "
        f"{second.shown_value} ({_report(second)}) [2]."
    )
    if asks_difference(cross.question) and a is not None and b is not None:
        text += f" The difference is {difference(first.value, a, b)}."
    return _cited(text, first, second)


def _quoted(pick: SidePick) -> str:
    """The words around the pick's figure, in quotation marks: its clause, cut to a few words each side."""
    return f"“{phrase_around(pick.sentence.text, pick.value)}”" if pick.value else ""


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _who(pick: SidePick) -> str:
    """ "CNN (2022-12-26)": who reported, and when."""
    published = pick.source.article.published
    who = outlet_of(pick.source.article) or "a report"
    return f"{who} ({published})" if published else who


def _report(pick: SidePick) -> str:
    who = outlet_of(pick.source.article) or "a report"
    published = pick.source.article.published
    return f"{who}, {published}" if published else who


def _cited(text: str, first: SidePick, second: SidePick) -> CrossAnswer:
    sources = tuple(
        EvidenceSource(n, pick.source.article, (pick.sentence,), pick.sentence)
        for n, pick in ((1, first), (2, second))
    )
    return CrossAnswer(text, sources)
