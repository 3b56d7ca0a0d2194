"""Story grouping (issue 22): articles telling one story linked by their headline and lead, within weeks."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from qa import cli
from qa.documents import ArticleRecord
from qa.errors import UserError
from qa.eval.timelines import score_grouping
from qa.results.stories import Story, stories_by_article, with_first_story
from qa.retrieval.stories import StoryLead, group_stories
from qa.service import NewsDesk
from qa.web.state import filter_articles
from qa.web.views import render_library
from tests.conftest import write_jsonl

pytestmark = pytest.mark.unit

HAMLIN = [
    StoryLead("h1", "Bills safety Damar Hamlin collapses on field", "2023-01-03",
              "Damar Hamlin collapsed after a tackle in the Bills game against the Bengals on Monday."),
    StoryLead("h2", "Damar Hamlin breathing on his own, Bills say", "2023-01-06",
              "Bills safety Damar Hamlin is breathing on his own after his cardiac arrest."),
    StoryLead("h3", "Hamlin leaves Buffalo hospital", "2023-01-11",
              "Damar Hamlin was discharged from a Buffalo hospital nine days after his cardiac arrest."),
]  # fmt: skip
OTHERS = [
    StoryLead("s1", "House fails to elect a speaker", "2023-01-04",
              "Kevin McCarthy lost a sixth vote for House speaker as holdouts refused to back him."),
    StoryLead("s2", "McCarthy wins speaker vote on 15th ballot", "2023-01-07",
              "Kevin McCarthy was elected House speaker on the 15th ballot after days of holdouts."),
    StoryLead("w1", "Storm floods California coast", "2023-01-09",
              "An atmospheric river flooded towns along the California coast, forcing evacuations."),
]  # fmt: skip


def _grouped(leads: list[StoryLead], **overrides: float) -> dict[str, Story]:
    settings = {"min_similarity": 0.25, "max_gap_days": 21, **overrides}
    return stories_by_article(group_stories(leads, **settings))  # type: ignore[arg-type]


def test_articles_telling_one_story_are_linked_and_other_stories_stay_apart() -> None:
    story = _grouped(HAMLIN + OTHERS)
    assert story["h1"] is story["h2"] is story["h3"]
    assert story["h1"].article_ids == ("h1", "h2", "h3")  # oldest first
    assert story["h1"].id == "h1" and story["h1"].title.startswith("Bills safety")  # named by its first
    assert (story["h1"].first, story["h1"].last) == ("2023-01-03", "2023-01-11")
    assert story["s1"] is story["s2"] is not story["h1"]
    assert story["w1"].article_ids == ("w1",)


def test_stories_of_several_articles_come_first_newest_first() -> None:
    stories = group_stories(HAMLIN + OTHERS, min_similarity=0.25, max_gap_days=21)
    assert [s.id for s in stories] == ["h1", "s1", "w1"]


def test_the_same_words_months_apart_are_two_stories_and_an_undated_article_links_by_its_words() -> None:
    later = replace(HAMLIN[2], article_id="h9", published="2023-09-10")
    assert _grouped([*HAMLIN[:2], later])["h9"].article_ids == ("h9",)
    undated = replace(HAMLIN[2], article_id="hx", published=None)
    assert _grouped([*HAMLIN[:2], undated])["hx"].article_ids == ("h1", "h2", "hx")  # undated last


def test_a_collection_of_one_story_is_grouped_though_its_words_are_in_every_article() -> None:
    assert len(group_stories(HAMLIN, min_similarity=0.25, max_gap_days=21)) == 1


def test_grouping_is_scored_over_pairs_of_the_gold_stories_articles() -> None:
    gold = [{"id": "g1", "article_ids": ["a", "b", "c"]}, {"id": "g2", "article_ids": ["d", "e"]}]
    story_of = {"a": "x", "b": "x", "c": "y", "d": "x", "e": "z"}  # c split off, d merged into a's story
    scores = score_grouping(story_of, gold)
    assert scores == {"articles": 5, "pair_recall": 0.25, "pair_precision": 0.3333}


def _records(leads: list[StoryLead]) -> list[dict[str, str | None]]:
    return [{"id": x.article_id, "title": x.title, "published": x.published, "text": x.text} for x in leads]


def test_the_desk_groups_what_is_indexed_and_regroups_after_a_change(
    make_desk: Callable[..., NewsDesk], tmp_path: Path
) -> None:
    desk = make_desk()  # FAKE embedder
    desk.ingest([write_jsonl(tmp_path / "news.jsonl", _records(HAMLIN + OTHERS))], progress=False)
    first = desk.stories()
    assert [len(s.article_ids) for s in first] == [3, 2, 1]
    assert desk.stories() is first  # nothing changed: not read again
    desk.delete("h2")
    assert stories_by_article(desk.stories())["h1"].article_ids == ("h1", "h3")
    timeline = desk.timeline("", story="h1")
    assert {c.article_id for s in timeline.steps for c in s.citations} <= {"h1", "h3"}
    assert timeline.steps and timeline.topic.startswith("Bills safety")
    with pytest.raises(UserError, match="no story 'nope'"):
        desk.timeline("", story="nope")


def test_qa_list_stories_prints_each_story_with_its_articles_and_json(
    make_desk: Callable[..., NewsDesk],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    desk = make_desk()  # FAKE embedder
    desk.ingest([write_jsonl(tmp_path / "news.jsonl", _records(HAMLIN + OTHERS))], progress=False)
    stories, records = desk.stories(), desk.list_articles()
    monkeypatch.setattr(NewsDesk, "stories", lambda self: stories)
    monkeypatch.setattr(NewsDesk, "list_articles", lambda self: records)
    assert cli.main(["list", "--stories"]) == 0
    shown = capsys.readouterr().out
    assert (
        shown.index("h1  Bills safety") < shown.index("    h2  Damar Hamlin breathing") < shown.index("s1  ")
    )
    assert "(3 articles · 2023-01-03 – 2023-01-11)" in shown
    assert "2 stories of several articles; 1 article on a story of its own" in shown
    assert cli.main(["list", "--stories", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload[0]["article_ids"] == ["h1", "h2", "h3"]
    monkeypatch.setattr(NewsDesk, "stories", lambda self: stories[:1])  # one story: said in the singular
    assert cli.main(["list", "--stories"]) == 0
    assert "\n1 story of several articles; 0 articles on" in capsys.readouterr().out


def test_the_articles_tab_shows_each_articles_story_and_filters_by_it() -> None:
    records = [ArticleRecord(id=x.article_id, title=x.title, published=x.published, origin="o",
                             content_hash=x.article_id, chunks=1) for x in HAMLIN + OTHERS]  # fmt: skip
    linked = {a: s for a, s in _grouped(HAMLIN + OTHERS).items() if len(s.article_ids) > 1}
    named = {a: f"{s.title} {s.id}" for a, s in linked.items()}
    assert [r.id for r in filter_articles(records, "bills safety", named)] == ["h3", "h2", "h1"]
    table = render_library(records, len(records), linked)
    assert table.count("Bills safety Damar Hamlin collapses on field · 3 articles") == 3
    assert "qa timeline --story h1" in table


def test_a_timeline_reads_the_other_articles_of_the_first_found_articles_story() -> None:
    stories = group_stories(HAMLIN + OTHERS, min_similarity=0.25, max_gap_days=21)
    assert with_first_story(["h2", "s1"], stories) == ["h2", "s1", "h1", "h3"]
    assert with_first_story(["w1", "h2"], stories) == ["w1", "h2"]  # the first is a story of its own
    assert with_first_story([], stories) == []
