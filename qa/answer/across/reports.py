"""The two reports a change or an agreement question compares (issue 22): the few best sentences of each
article that give the figure, then the pair from the outlets or days the question names, else from the
best report's story, whose figures are of one kind and scale and say most alike what they count."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal

from qa.answer.across.question import CrossQuestion
from qa.answer.across.sides import SidePick, outlet_of
from qa.answer.across.values import amount, words_beside
from qa.answer.step_days import tells_what_is_to_come
from qa.text.values import Value
from qa.text.words import keyword_tokens
from qa.text.written_dates import A_YEAR, MONTH_NAMES, find_dates, month_number, typed_months

REPORT_DAYS = 7  # a report "of Jan 9" is one published within a week of it
REPORT_SENTENCES = 3  # sentences of one article that may be its report of the fact
MAX_SCALE_GAP = 1.3  # two reports' figures within a factor of 20: 27 and 37, not 10 (years) and 12 million
MONTH_REACH = 16  # a report "of July" is one published that month (its 15th, and this reach, mark a month)
YEAR_REACH = 183  # a report "of 2024" is one published that year (its 2 July, and this reach, mark a year)
REPORTS_WITHIN = 0.5  # of the best report's coverage: how well another article must cover a fact
# What one more article giving a figure adds to a pair's score. A figure many articles give is the story's;
# one article's odd figure is more often of something else ("6,800 people signed a petition" beside a
# rally's "3,000 people"). Dev 2023 gains from 0.05 to 3, dev 2025 from 0.25 to 3 (eleventh session):
# 0.5 is inside both, and no held-out or user answer changes anywhere in that range.
AGREED_WEIGHT = 0.5
# A month named alone, or as "mid-September": no day and no year (those find_dates reads).
_BARE_MONTH = re.compile(
    rf"\b(?:in|by|to|from|between|and|since|until|mid-|early|late)\s*({'|'.join(MONTH_NAMES)})\b(?![\s.]*\d)"
)
_OUTLET_WORDS = frozenset("news daily the com press post online media".split())  # name no one outlet


def best_reports(picks: Sequence[SidePick]) -> list[SidePick]:
    """The few best sentences of each article that report the fact nearly as fully as the best one."""
    top = picks[0].score if picks else 0.0
    kept: dict[str, list[SidePick]] = {}
    for pick in picks:
        held = kept.setdefault(pick.source.article.id, [])
        if pick.score >= REPORTS_WITHIN * top and len(held) < REPORT_SENTENCES:
            held.append(pick)
    return sorted((p for held in kept.values() for p in held), key=lambda p: -p.score)


def of_one_story(reports: list[SidePick], story_of: Mapping[str, str]) -> list[SidePick]:
    """The reports of the best report's story: a toll of another storm, or of the same place years
    apart, is no change and no disagreement."""
    story = story_of.get(reports[0].source.article.id)
    return [p for p in reports if story is not None and story_of.get(p.source.article.id) == story]


def pair_reports(
    cross: CrossQuestion,
    reports: list[SidePick],
    as_of: date,
    stories: Callable[[], Mapping[str, str]] | None,
) -> tuple[SidePick, SidePick] | None:
    """The two reports the question compares, from two articles (where from: `_candidates`; a change:
    of two days and two figures where it can). Of those, the pair whose sentences are best, say most
    alike what their figures count ("… to lose health insurance" twice), in one unit and scale, and
    give the figures most articles give."""
    for first, second in _candidates(cross, reports, as_of, stories):
        pairs = [
            (a, b)
            for a in first
            for b in second
            if a.source.article.id != b.source.article.id
            and comparable(a.value, b.value)
            and not _one_sentence_two_figures(a, b)
        ]
        if cross.kind == "change":
            # A change is told by two days' reports of two figures; one figure twice is the last resort.
            moved = [(a, b) for a, b in pairs if amount(a.value) != amount(b.value)]
            pairs = [(a, b) for a, b in moved if a.published != b.published] or moved or pairs
        if pairs:
            told = _articles_giving(first), _articles_giving(second)
            return by_day(
                *max(
                    pairs,
                    key=lambda pair: (
                        pair_score(*pair)
                        + AGREED_WEIGHT * (told[0][amount(pair[0].value)] + told[1][amount(pair[1].value)])
                    ),
                )
            )
    return None


def _articles_giving(reports: Sequence[SidePick]) -> dict[Decimal | None, int]:
    """How many articles give each figure of these reports."""
    articles: dict[Decimal | None, set[str]] = {}
    for pick in reports:
        articles.setdefault(amount(pick.value), set()).add(pick.source.article.id)
    return {figure: len(ids) for figure, ids in articles.items()}


def _one_sentence_two_figures(a: SidePick, b: SidePick) -> bool:
    """Two figures of one sentence, copied into two articles ("$999 for the Pro and $1199 for the Pro
    Max"): the copies report the same thing, so they show no change and no disagreement."""
    return a.sentence.text == b.sentence.text and amount(a.value) != amount(b.value)


def _candidates(
    cross: CrossQuestion,
    reports: list[SidePick],
    as_of: date,
    stories: Callable[[], Mapping[str, str]] | None,
) -> list[tuple[list[SidePick], list[SidePick]]]:
    """Where the two reports may come from, the likeliest first: the outlets the question names; the
    reports nearest the days it names, then those within a week of them; two of the best report's
    story; any two."""
    choices = []
    by_outlet: dict[str, list[SidePick]] = {}
    for pick in reports:
        outlet = outlet_of(pick.source.article)
        if outlet and _names_outlet(cross.question, outlet):
            by_outlet.setdefault(outlet, []).append(pick)
    days = question_days(cross.question, as_of)
    if len(by_outlet) >= 2:
        first, second, *_ = by_outlet.values()
        if len(days) == 1:  # "On December 24, did CNN and USA Today report …": their reports of that day
            choices.append((_nearest(first, days[0][0]), _nearest(second, days[0][0])))
        choices.append((first, second))
    if len(days) >= 2:
        ends = (days[0], days[-1])
        choices.append((_nearest(reports, ends[0][0]), _nearest(reports, ends[1][0])))
        within = [[p for p in reports if _in_reach(p, day, reach)] for day, reach in ends]
        choices.append((within[0], within[1]))
    if stories is not None and reports:
        same = of_one_story(reports, stories())
        choices.append((same, same))
    return [*choices, (reports, reports)]


def _in_reach(pick: SidePick, day: date, reach: int) -> bool:
    """Is `pick` a report of the day named (within `reach` days), or of the month named (published in it:
    "its July 2025 report" is no report of June 30)?"""
    if reach == MONTH_REACH:
        return pick.published is not None and (pick.published.year, pick.published.month) == (
            day.year,
            day.month,
        )
    if reach == YEAR_REACH:
        return pick.published is not None and pick.published.year == day.year
    return _days_from(pick, day) <= reach


def _days_from(pick: SidePick, day: date) -> int:
    return abs((pick.published - day).days) if pick.published else REPORT_DAYS + 1


def _names_outlet(question: str, outlet: str) -> bool:
    """Does the question name `outlet`: "USA Today" or "usatoday.com" as "USA Today", "Harbour Gazette" as
    "the gazette"?"""
    squeezed = re.sub(r"[^a-z0-9]", "", question.lower())
    site = re.sub(r"[^a-z0-9]", "", outlet.lower().removesuffix(".com"))
    if len(site) >= 3 and site in squeezed:
        return True
    asked = set(keyword_tokens(question))
    return any(len(w) >= 4 and w not in _OUTLET_WORDS and w in asked for w in keyword_tokens(outlet))


def _nearest(reports: list[SidePick], day: date) -> list[SidePick]:
    """The reports published nearest `day` (the "Jan 9 report" is the one closest to Jan 9), within
    REPORT_DAYS."""
    apart = {id(p): abs((p.published - day).days) for p in reports if p.published is not None}
    closest = min(apart.values(), default=REPORT_DAYS + 1)
    return [p for p in reports if closest <= REPORT_DAYS and apart.get(id(p)) == closest]


def comparable(a: Value | None, b: Value | None, *, any_scale: bool = False) -> bool:
    """Are two figures of one kind (both amounts, both percentages) and of about one scale (two reports
    of one figure; two things compared may differ in scale: `any_scale`)?"""
    x, y = amount(a), amount(b)
    if a is None or b is None or x is None or y is None:
        return False
    if (a.key[:1] in "$€£¥") != (b.key[:1] in "$€£¥") or a.key.endswith("%") != b.key.endswith("%"):
        return False
    if any_scale:
        return True
    if x <= 0 or y <= 0:
        return x == y
    return abs(math.log10(float(x)) - math.log10(float(y))) <= MAX_SCALE_GAP


def pair_score(a: SidePick, b: SidePick, *, alike_weight: float = 1.0) -> float:
    """Both sentences' coverage, and how alike the words beside their figures are."""
    beside_a = words_beside(a.sentence.text, a.value) if a.value else set()
    beside_b = words_beside(b.sentence.text, b.value) if b.value else set()
    alike = len(beside_a & beside_b) / len(beside_a | beside_b) if beside_a | beside_b else 0.0
    return a.score + b.score + alike_weight * alike


def by_day(a: SidePick, b: SidePick) -> tuple[SidePick, SidePick]:
    """The two reports oldest first; of one day's two, an expectation before what came of it ("200,000 are
    expected to attend", then "police estimated the crowd at 100,000")."""
    later = (b.published or date.min, tells_what_is_to_come(a.sentence.text)) < (
        a.published or date.min,
        tells_what_is_to_come(b.sentence.text),
    )
    return (b, a) if later else (a, b)


def question_days(question: str, as_of: date) -> list[tuple[date, int]]:
    """The days the question names, in its order, each with how far from it a report of it may be: a
    day of a month is in the one year the question names, else the latest such day by `as_of`.
    Months ("the May explainer and the July report") count as their 15th, reaching the whole month, only
    when fewer than two days are named: "the July 2025 floods … between the July 7 and July 12 reports"
    names two days. Two years and no day or month ("from the 16 Pro in 2024 to the 17 Pro in 2025") reach
    their whole years."""
    days, months = [], []
    named_years = set(A_YEAR.findall(question))
    for written in find_dates(typed_months(question)):
        key = written.key
        if key.startswith("--"):
            month, day = int(key[2:4]), int(key[5:7])
            year = as_of.year if (month, day) <= (as_of.month, as_of.day) else as_of.year - 1
            if len(named_years) == 1:  # "the 2024 Park Fire … between the July 27 and July 30 reports"
                year = int(next(iter(named_years)))
            days.append(date(year, month, day))
        elif len(key) == 10:
            days.append(date.fromisoformat(key))
        else:
            months.append(date(int(key[:4]), int(key[5:7]), 15))
    for bare in _BARE_MONTH.finditer(question):  # "… in May 2025 and the Senate passage in July"
        month = month_number(bare.group(1))
        year = int(next(iter(named_years))) if len(named_years) == 1 else _latest_year(month, as_of)
        months.append(date(year, month, 15))
    if len(days) >= 2:
        return [(day, REPORT_DAYS) for day in days]
    if not days and not months and len(named_years) >= 2:  # "from the iPhone 16 Pro in 2024 to … in 2025"
        return [(date(int(year), 7, 2), YEAR_REACH) for year in sorted(named_years)]
    return sorted([(day, REPORT_DAYS) for day in days] + [(month, MONTH_REACH) for month in months])


def _latest_year(month: int, as_of: date) -> int:
    return as_of.year if month <= as_of.month else as_of.year - 1
