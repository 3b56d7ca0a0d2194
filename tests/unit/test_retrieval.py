"""Hybrid retrieval through the facade: fusion, time words, one source per story, several stories in k.

In-memory store, FAKE hashing embedder (so "dense" here is a bag of words: the tests are about how the
rankings are combined, not about the model)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from qa.answer.period import period_not_covered
from qa.documents import DateRange
from qa.service import NewsDesk
from tests.conftest import write_jsonl

pytestmark = pytest.mark.unit

MakeDesk = Callable[..., NewsDesk]


def ranked_articles(desk: NewsDesk, question: str, **kwargs: Any) -> list[str]:
    return list(
        dict.fromkeys(hit.article.id for hit in desk.evaluation().rank(question, chunks=10, **kwargs).nearest)
    )


@pytest.fixture
def storms(tmp_path: Path) -> Path:
    """A storm of the same name in 2019 and this week; the old story repeats the name more."""
    return write_jsonl(
        tmp_path / "storms.jsonl",
        [
            {
                "id": "storm-2019",
                "published": "2019-01-03",
                "title": "Storm Elliott floods Elliott Bay",
                "text": "Storm Elliott flooded the coast. Storm Elliott closed roads near Elliott Bay.",
            },
            {
                "id": "storm-2023",
                "published": "2023-01-04",
                "title": "Storm Elliott cuts power",
                "text": "Storm Elliott cut power to 40,000 homes on Tuesday.",
            },
        ],
    )


def test_this_weeks_story_outranks_an_older_one_about_the_same_name(
    make_desk: MakeDesk, storms: Path
) -> None:
    question = "What did Storm Elliott do this week?"
    blind = make_desk(time_awareness=False)
    blind.ingest([storms], progress=False)
    assert ranked_articles(blind, question, as_of=date(2023, 1, 6))[0] == "storm-2019"  # more word overlap

    desk = make_desk()
    desk.ingest([storms], progress=False)
    retrieval = desk.evaluation().rank(question, chunks=10, as_of=date(2023, 1, 6))
    assert [hit.article.id for hit in retrieval.nearest][0] == "storm-2023"
    assert retrieval.period is not None and str(retrieval.period) == "2022-12-31 – 2023-01-06"
    # Asked in January 2019, "this week" is the 2019 storm.
    assert ranked_articles(desk, question, as_of=date(2019, 1, 4))[0] == "storm-2019"


def test_an_article_from_after_the_reference_date_is_held_back(make_desk: MakeDesk, storms: Path) -> None:
    desk = make_desk(recency_half_life_days=0)  # no age prior: only "not yet published" counts
    desk.ingest([storms], progress=False)
    assert ranked_articles(desk, "Storm Elliott power homes", as_of=date(2023, 1, 10))[0] == "storm-2023"
    assert ranked_articles(desk, "Storm Elliott power homes", as_of=date(2020, 1, 1))[0] == "storm-2019"


def test_keyword_search_finds_what_the_headline_says(make_desk: MakeDesk, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [
            {
                "id": "deal",
                "title": "Microsoft to buy Activision",
                "text": "The deal was approved by regulators.",
            },
            {"id": "other", "title": "Weather", "text": "Regulators approved the weather deal forecast."},
        ],
    )
    desk = make_desk(retrieval_mode="keyword")
    desk.ingest([path], progress=False)
    assert ranked_articles(desk, "Which company will Microsoft buy?") == ["deal"]


def test_a_wire_copy_collapses_to_one_source(make_desk: MakeDesk, tmp_path: Path) -> None:
    story = (
        "Russian forces shelled the city overnight, officials said on Sunday, as residents lined up "
        "for water and power returned to some districts after days of blackouts."
    )
    path = write_jsonl(
        tmp_path / "wire.jsonl",
        [
            {"id": "ap", "title": "City shelled", "text": "KYIV (AP) - " + story},
            {"id": "copy", "title": "City shelled overnight", "text": "By Jane Roe. " + story},
            {"id": "else", "title": "Rates", "text": "The bank raised rates as residents lined up."},
        ],
    )
    desk = make_desk()
    desk.ingest([path], progress=False)
    found = ranked_articles(desk, "Which city was shelled overnight?")
    assert len({"ap", "copy"} & set(found)) == 1 and "else" in found
    undeduplicated = make_desk(dedup_containment=1.0)
    undeduplicated.ingest([path], progress=False)
    assert {"ap", "copy"} <= set(ranked_articles(undeduplicated, "Which city was shelled overnight?"))


def test_the_top_k_spans_several_stories(make_desk: MakeDesk, tmp_path: Path) -> None:
    long_story = " ".join(f"The budget vote number {i} failed in the House." for i in range(40))
    path = write_jsonl(
        tmp_path / "votes.jsonl",
        [
            {"id": "long", "title": "Budget votes", "text": long_story},
            {"id": "short", "title": "Budget", "text": "The budget vote passed the Senate."},
        ],
    )
    desk = make_desk(chunk_tokens=20, chunk_overlap_tokens=0, max_chunks_per_article=2)
    desk.ingest([path], progress=False)
    nearest = desk.evaluation().rank("budget vote failed House", chunks=3).nearest
    assert [hit.article.id for hit in nearest].count("long") == 2 and nearest[2].article.id == "short"
    # With one article only, its chunks fill all k places.
    alone = make_desk(chunk_tokens=20, chunk_overlap_tokens=0, max_chunks_per_article=2)
    alone.ingest(
        [write_jsonl(tmp_path / "long.jsonl", [{"id": "long", "title": "Votes", "text": long_story}])]
    )
    assert [
        hit.article.id for hit in alone.evaluation().rank("budget vote failed House", chunks=4).nearest
    ] == ["long"] * 4


def test_keyword_search_follows_ingest_reingest_and_delete(make_desk: MakeDesk, tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("Volcano news\n\nThe volcano erupted near the village overnight.", encoding="utf-8")
    desk = make_desk(retrieval_mode="keyword")
    desk.ingest([path], progress=False)
    assert len(ranked_articles(desk, "volcano erupted")) == 1

    path.write_text("Harbour news\n\nThe harbour reopened after the storm.", encoding="utf-8")
    desk.ingest([path], progress=False)  # the edited file replaces its older version
    assert ranked_articles(desk, "volcano erupted") == []  # no ghost of the old text
    (article,) = desk.list_articles()
    assert ranked_articles(desk, "harbour reopened") == [article.id]

    desk.delete(article.id)
    assert ranked_articles(desk, "harbour reopened") == []


def test_a_period_after_every_article_abstains_and_names_the_covered_dates(
    make_desk: MakeDesk, storms: Path
) -> None:
    desk = make_desk()
    desk.ingest([storms], progress=False)
    later = desk.ask("What did Storm Elliott do this week?", as_of=date(2023, 2, 10))
    assert later.abstained and later.abstain_reason == "period_not_covered" and not later.llm_called
    assert desk._backend is None
    assert "2023-02-04 – 2023-02-10" in later.answer and "from 2019-01-03 to 2023-01-04" in later.answer
    earlier = desk.ask("What did Storm Elliott do in 2015?", as_of=date(2023, 2, 10))
    assert earlier.abstain_reason == "period_not_covered"
    # The reference date alone is no reason: asked years later without time words, it is answered.
    today = desk.ask("What did Storm Elliott cut power to?", as_of=date(2026, 11, 30))
    assert not today.abstained and today.abstain_reason is None and today.citations
    assert today.newest_source_date == "2023-01-04" and today.to_json()["newest_source_date"] == "2023-01-04"
    assert "as_of" not in today.to_json()  # that name is the day asked on, going in
    # A named period the articles do cover is answered too.
    covered = desk.ask("What did Storm Elliott cut this week?", as_of=date(2023, 1, 6))
    assert not covered.abstained and covered.citations[0].article_id == "storm-2023"


def test_a_named_period_counts_the_undated_articles_searched(
    make_desk: MakeDesk, storms: Path, tmp_path: Path
) -> None:
    undated = write_jsonl(
        tmp_path / "undated.jsonl",
        [{"id": "undated", "title": "Harbour news", "text": "The harbour reopened after the storm."}],
    )
    desk = make_desk()
    desk.ingest([storms, undated], progress=False)
    asked = desk.evaluation().rank("What did Storm Elliott do this week?", chunks=5, as_of=date(2023, 1, 6))
    assert asked.undated == 1 and asked.covered == DateRange(date(2019, 1, 3), date(2023, 1, 4))
    # Without a named period nothing is counted: only the period rule reads it.
    plain = desk.evaluation().rank("What did Storm Elliott do?", chunks=5, as_of=date(2023, 1, 6))
    assert plain.undated == 0 and plain.covered is None
    in_range = desk.evaluation().rank(
        "What did Storm Elliott do this week?",
        chunks=5,
        dates=DateRange(date(2023, 1, 1), None),
        as_of=date(2023, 1, 6),
    )
    assert in_range.undated == 0  # a date range lets no undated article through
    # Asked after every dated article, with the undated one among those looked at: not declined early.
    later = desk.evaluation().rank("What did Storm Elliott do this week?", chunks=5, as_of=date(2023, 2, 10))
    assert "undated" in {hit.article.id for hit in later.nearest}
    assert period_not_covered(later, slack_days=2) is None


def test_today_is_decided_once_by_the_facade_and_the_stages_read_the_day_they_are_given(
    make_desk: MakeDesk, storms: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qa.service

    class Clock(date):
        @classmethod
        def today(cls) -> date:  # the facade's "today", and nothing below it asks the system clock
            return date(2023, 2, 10)

    monkeypatch.setattr(qa.service, "date", Clock)
    desk = make_desk()
    desk.ingest([storms], progress=False)
    later = desk.ask("What did Storm Elliott do this week?")
    assert later.abstain_reason == "period_not_covered" and "2023-02-04 – 2023-02-10" in later.answer
    assert desk.evaluation().rank("What did Storm Elliott do this week?", chunks=5).period == DateRange(
        date(2023, 2, 4), date(2023, 2, 10)
    )
    assert desk.evaluation().names_a_time("What did Storm Elliott do this week?", date(2023, 1, 6))
    assert not desk.evaluation().names_a_time("What did Storm Elliott cut power to?", date(2023, 1, 6))


def test_the_abstain_reason_says_which_rule_declined(make_desk: MakeDesk, storms: Path) -> None:
    nothing = make_desk(min_score=0.99)
    nothing.ingest([storms], progress=False)
    assert nothing.ask("What did Storm Elliott do?").abstain_reason == "no_relevant_passage"
    declined = make_desk(llm_fake_reply="I can't find that in the indexed articles.")
    declined.ingest([storms], progress=False)
    result = declined.ask("What did Storm Elliott do?")
    assert result.abstained and result.abstain_reason == "model_declined" and result.llm_called
    assert result.to_json()["abstain_reason"] == "model_declined"


def test_a_question_whose_best_passage_is_weak_is_declined_without_the_llm(
    make_desk: MakeDesk, storms: Path
) -> None:
    desk = make_desk(min_best_score=0.99)  # an exacting gate: no passage of these reaches it
    desk.ingest([storms], progress=False)
    result = desk.ask("What did Storm Elliott cut power to?")
    assert result.abstained and result.abstain_reason == "no_relevant_passage" and not result.llm_called
    assert desk._backend is None  # declined before the model: in local mode llama.cpp is never started
    assert result.retrieved and max(hit.score for hit in result.retrieved) >= desk.settings.min_score
    # Ranking for evaluation has no threshold at all.
    assert desk.evaluation().rank("What did Storm Elliott cut power to?", chunks=5).hits
    lenient = make_desk(min_best_score=0.0)
    lenient.ingest([storms], progress=False)
    assert not lenient.ask("What did Storm Elliott cut power to?").abstained
