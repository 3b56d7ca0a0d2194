"""Scoring a timeline against gold story events (issue 22): recall, precision, dates, order, duplicates."""

from __future__ import annotations

import pytest

from qa.eval.timelines import score_labels, score_timeline, sentence_key, states, summarize

pytestmark = pytest.mark.unit

STORY = {
    "id": "tl-test",
    "events": [
        {"date": "2023-01-02", "terms": ["collapsed", "cincinnati"], "article_ids": ["ap-1", "rt-1"]},
        {"date": "2023-01-05", "terms": ["breathing tube", "removed"], "article_ids": ["ap-2"]},
        {"date": "2023-01-11", "terms": ["released", "hospital"], "article_ids": ["ap-3"]},
    ],
}


def _step(day: str, text: str, *articles: str) -> dict:
    return {"date": day, "text": text, "citations": [{"article_id": a, "quote": text} for a in articles]}


def test_a_step_states_an_event_by_all_its_terms_or_by_its_article_and_half_of_them() -> None:
    event = STORY["events"][1]
    assert states(_step("2023-01-05", "Doctors removed his breathing tube.", "x"), event)
    assert states(_step("2023-01-05", "Doctors removed it on Thursday.", "ap-2"), event)  # its article
    assert not states(_step("2023-01-05", "Doctors removed it on Thursday.", "x"), event)


def test_a_timeline_is_scored_for_recall_precision_dates_order_and_duplicates() -> None:
    timeline = {
        "steps": [
            _step("2023-01-02", "Hamlin collapsed in Cincinnati on Monday.", "ap-1", "rt-1"),
            _step("2023-01-04", "Doctors removed the breathing tube.", "ap-2"),  # a day off
            _step(
                "2023-01-05", "The breathing tube was removed, the team said.", "ap-9"
            ),  # the same event again
            _step("2023-01-06", "Fans gathered outside the stadium.", "ap-4"),  # no gold event
        ]
    }
    score = score_timeline(timeline, STORY)
    assert (score["events"], score["events_found"], score["steps"], score["steps_matching"]) == (3, 2, 4, 3)
    assert (score["dates_exact"], score["dates_within_1"], score["duplicates"]) == (1, 2, 1)
    assert (score["order_pairs"], score["order_right"]) == (1, 1)
    assert score["steps_other_articles"] == 0
    assert score["citations_supported"] == score["citations"] == 4
    summary = summarize([score])
    assert summary["event_recall"] == round(2 / 3, 4) and summary["step_precision"] == 0.75
    assert summary["dates_exact"] == 0.5


def test_precision_is_over_the_steps_from_the_articles_the_gold_was_read_from() -> None:
    story = {**STORY, "article_ids": ["ap-1", "rt-1", "ap-2", "ap-3"]}
    timeline = {
        "steps": [
            _step("2023-01-02", "Hamlin collapsed in Cincinnati on Monday.", "ap-1"),
            _step("2023-01-03", "Fans held a vigil.", "ap-1"),  # read, no gold event: imprecise
            _step("2023-01-04", "The NFL postponed the game.", "cnn-7"),  # an article not read: apart
        ]
    }
    score = score_timeline(timeline, story)
    assert (score["steps"], score["steps_matching"], score["steps_other_articles"]) == (2, 1, 1)


def test_citation_support_is_judged_on_the_articles_the_gold_was_read_from() -> None:
    story = {**STORY, "article_ids": ["ap-1", "rt-1", "ap-2", "ap-3"]}
    step = _step("2023-01-02", "Hamlin collapsed in Cincinnati on Monday.", "ap-1")
    step["citations"] += [
        {"article_id": "rt-1", "quote": "Players knelt on the field."},  # read, does not state it
        {"article_id": "cnn-7", "quote": "Hamlin collapsed during the game."},  # not read: apart
    ]
    score = score_timeline({"steps": [step]}, story)
    assert (score["citations"], score["citations_supported"], score["citations_other_articles"]) == (2, 1, 1)
    assert summarize([score])["citations_supported"] == 0.5


def test_a_step_counts_for_the_event_whose_every_term_it_holds() -> None:
    # It cites ap-1 and holds "collapsed" (half of the first event's terms), and holds all of the second's.
    step = _step("2023-01-05", "After he collapsed, doctors removed his breathing tube.", "ap-1")
    score = score_timeline({"steps": [step]}, STORY)
    assert (score["events_found"], score["dates_exact"]) == (1, 1)  # the second event, on its day


def test_a_story_asked_for_a_period_is_scored_on_the_events_of_that_period() -> None:
    story = {**STORY, "events_in_period": [2]}
    timeline = {"steps": [_step("2023-01-11", "He was released from hospital.", "ap-3")]}
    score = score_timeline(timeline, story)
    assert (score["events"], score["events_found"], score["steps_matching"]) == (1, 1, 1)


def test_readers_labels_judge_the_steps_precision_counts_by_their_sentences() -> None:
    event = {
        "date": "2023-01-02",
        "event": "Hamlin collapsed.",
        "terms": ["collapsed"],
        "article_ids": ["ap-1"],
    }
    story = {"id": "tl-test", "article_ids": ["ap-1", "ap-2"], "events": [event]}
    labels = [
        {
            "story": "tl-test",
            "article_id": "ap-1",
            "sentence_key": sentence_key("Hamlin collapsed."),
            "label": "event",
        },
        {
            "story": "tl-test",
            "article_id": "ap-2",
            "sentence_key": sentence_key("Snow  may fall."),
            "label": "not",
        },
    ]
    timeline = {
        "story": "tl-test",
        "steps": [
            _step("2023-01-02", "Hamlin collapsed.", "ap-1"),
            _step("2023-01-03", "Snow may fall.", "ap-2"),  # the key is read with its spaces made one
            _step("2023-01-04", "Fans gathered.", "ap-2"),  # no label names it
            _step("2023-01-04", "Other news.", "zz-9"),  # an article the gold did not read: not counted
        ],
    }
    assert score_labels([timeline], [story], labels) == {
        "steps_judged": 2,
        "judged_events": 0.5,
        "steps_unjudged": 1,
        # The ceiling of a perfect judge: the one step judged an event states the gold event, and without
        # the step judged none, precision is over the other two steps of read articles (one unjudged).
        "judged_events_stating_gold": 1.0,
        "without_judged_non_events": {"event_recall": 1.0, "step_precision": 0.5, "dates_exact": 1.0},
    }
