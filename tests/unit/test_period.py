"""The period rule (qa.answer.period) on hand-built retrievals: when it declines, and what it says."""

from __future__ import annotations

from datetime import date

import pytest

from qa.answer.period import period_not_covered
from qa.documents import ArticleInfo, Chunk, DateRange, ScoredChunk
from qa.results import Retrieval

pytestmark = pytest.mark.unit

THIS_YEAR = DateRange(date(2025, 1, 1), date(2025, 10, 20))
COVERED = DateRange(date(2023, 1, 2), date(2023, 3, 31))


def hit(article_id: str, published: str | None) -> ScoredChunk:
    """A passage of an article published on `published` (None: undated)."""
    chunk = Chunk(f"{article_id}#0", article_id, 0, "The festival opened.", 0, 20)
    return ScoredChunk(chunk, ArticleInfo(id=article_id, title=article_id, published=published), 0.8)


def retrieval(*hits: ScoredChunk, period: DateRange | None = THIS_YEAR, undated: int = 0) -> Retrieval:
    return Retrieval(list(hits), list(hits), 1.0, period=period, covered=COVERED, undated=undated)


def test_a_period_after_every_dated_article_declines_and_names_their_dates() -> None:
    said = period_not_covered(retrieval(hit("a", "2023-01-02"), hit("b", "2023-03-31")), slack_days=2)
    assert said == (
        "The question is about 2025-01-01 – 2025-10-20, and the indexed articles were published from "
        "2023-01-02 to 2023-03-31."
    )
    before = DateRange(date(2020, 1, 1), date(2020, 12, 31))
    assert period_not_covered(retrieval(hit("a", "2023-01-02"), period=before), slack_days=2)


def test_a_covered_or_absent_period_does_not_decline() -> None:
    assert period_not_covered(retrieval(hit("a", "2023-02-01"), period=COVERED), slack_days=2) is None
    assert period_not_covered(retrieval(hit("a", "2023-02-01"), period=None), slack_days=2) is None
    # Within the slack after the last article: stories come out a day or two after the news.
    soon = DateRange(date(2023, 4, 2), date(2023, 4, 8))
    assert period_not_covered(retrieval(hit("a", "2023-03-31"), period=soon), slack_days=2) is None


@pytest.mark.parametrize("published", [None, "", "sometime in spring"])
def test_an_undated_article_among_the_nearest_lets_the_later_steps_judge(published: str | None) -> None:
    # It may well be from this year: declining here would name only the dated articles' range.
    looked_at = retrieval(hit("dated", "2023-02-01"), hit("undated", published), undated=1)
    assert period_not_covered(looked_at, slack_days=2) is None


@pytest.mark.parametrize(("undated", "more"), [(1, "(1 more has no date)"), (3, "(3 more have no date)")])
def test_undated_articles_searched_but_not_near_are_said(undated: int, more: str) -> None:
    said = period_not_covered(retrieval(hit("a", "2023-01-02"), undated=undated), slack_days=2)
    assert said is not None and said.endswith(f"from 2023-01-02 to 2023-03-31 {more}.")
