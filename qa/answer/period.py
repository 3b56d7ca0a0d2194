"""The period rules, before the model: the question's time words point to a time no article is from; and
the model reads only the sources from the period the question names (none: the question is declined)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from qa.answer.evidence import EvidenceSource, renumbered
from qa.documents import DateRange
from qa.results import Retrieval
from qa.text.dates import parse_date


def period_not_covered(retrieval: Retrieval, slack_days: int) -> str | None:
    """Why the articles cannot hold the answer when the question's time words point to a time that no
    article is from (None when they can, or when the question names no time).

    Only the named period counts, never the reference date alone: a question without time words asked
    years after its articles is still answered. An undated article among the passages looked at may be
    from the period, so then the later steps judge; undated ones searched but not near are only said.
    """
    period, covered = retrieval.period, retrieval.covered
    if period is None or covered is None or covered.start is None or covered.end is None:
        return None
    if any(parse_date(hit.article.published) is None for hit in retrieval.nearest):
        return None  # as retrieval weighs it: an article whose date can't be read is undated
    after = period.start is not None and period.start > covered.end + timedelta(days=slack_days)
    before = period.end is not None and period.end < covered.start
    if not (after or before):
        return None
    undated = retrieval.undated
    more = f" ({undated} more {'has' if undated == 1 else 'have'} no date)" if undated else ""
    return (
        f"The question is about {period}, and the indexed articles were published from "
        f"{covered.since} to {covered.until}{more}."
    )


def reports_on(period: DateRange, published: str | None, slack_days: int) -> bool:
    """Can an article published on `published` stand as a source for `period`? Undated ones may."""
    if parse_date(published) is None:
        return True
    # Reports lag the news: an article a few days after the period's end still counts as from it.
    allowed = DateRange(period.start, period.end + timedelta(days=slack_days) if period.end else None)
    return allowed.includes(published)


def sources_for_period(
    period: DateRange | None, sources: Sequence[EvidenceSource], slack_days: int
) -> list[EvidenceSource]:
    """The sources an answer for `period` may rest on, renumbered: all of them when no period is named.

    An answer resting only on the others would not be an answer for that period, so they are not given
    at all: the model cannot pick a two-year-old story for "this week" when this week's is there, and
    when none is from the period the question is declined before the model (`no_source_in_period`).
    """
    if period is None:
        return list(sources)
    return renumbered([s for s in sources if reports_on(period, s.article.published, slack_days)])


def no_source_in_period(period: DateRange, given: Sequence[str | None]) -> str:
    """The decline's why: the period asked about, and the newest of the `given` sources' dates."""
    newest = max((d for day in given if (d := parse_date(day)) is not None), default=None)
    return f"The question is about {period}, and the newest article that bears on it is from {newest}."
