"""The two period rules: before the model, the question's time words point to a time no article is from;
after it, the answer rests only on articles from outside the period the question names."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

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


def outside_period(
    period: DateRange | None, cited: Sequence[str | None], given: Sequence[str | None], slack_days: int
) -> str | None:
    """Why an answer cannot stand for the period its question names: every article it cites (publication
    dates `cited`) is from outside it; None when no period is named, nothing is cited, or one cited article
    is from the period or undated. The reason names the newest of the `given` sources' dates."""
    if period is None or not cited:
        return None
    # Reports lag the news: an article a few days after the period's end still counts as from it.
    allowed = DateRange(period.start, period.end + timedelta(days=slack_days) if period.end else None)
    if any(parse_date(day) is None or allowed.includes(day) for day in cited):
        return None
    newest = max((d for day in given if (d := parse_date(day)) is not None), default=None)
    return f"The question is about {period}, and the newest article that bears on it is from {newest}."
