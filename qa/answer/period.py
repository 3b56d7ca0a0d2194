"""The rule that declines before the model: the question's time words point to a time no article is from."""

from __future__ import annotations

from datetime import timedelta

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
