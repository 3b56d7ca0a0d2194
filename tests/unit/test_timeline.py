"""Timelines (issue 22): each step a sentence an article states, dated by its text or its article, oldest
first, wire copies merged, silences said."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from qa import cli
from qa.answer.step_days import step_day
from qa.answer.timeline import asks_for_timeline, build_timeline, topic_words
from qa.documents import ScoredChunk
from qa.service import NewsDesk
from tests.conftest import scored_hit, write_jsonl

pytestmark = pytest.mark.unit

THURSDAY = date(2023, 1, 5)


@pytest.mark.parametrize(
    ("sentence", "published", "day", "source"),
    [
        ("Hamlin collapsed on Monday night during the game.", THURSDAY, date(2023, 1, 2), "text"),
        ("The House will vote again on Friday.", THURSDAY, date(2023, 1, 6), "text"),  # what is to come
        ("Doctors removed his breathing tube yesterday.", THURSDAY, date(2023, 1, 4), "text"),
        ("On Jan. 3, the House met for the first time.", THURSDAY, date(2023, 1, 3), "text"),
        ("On December 29 the storm reached the coast.", THURSDAY, date(2022, 12, 29), "text"),  # last year's
        ("The treaty was signed on July 4, 1976.", THURSDAY, date(1976, 7, 4), "text"),
        ("The team said he remains in critical condition.", THURSDAY, THURSDAY, "published"),
        ("On Jan. 3, 2023, the House met.", None, date(2023, 1, 3), "text"),
        # A weekday alone, as the news writes it; not a named day, not the outlet "USA TODAY".
        ("Eleven ambulances were dug out Tuesday, officials said.", THURSDAY, date(2023, 1, 3), "text"),
        ("Tuesday's team meeting opened with a prayer.", THURSDAY, date(2023, 1, 3), "text"),
        ("Stores were packed on Black Friday.", THURSDAY, THURSDAY, "published"),
        ("The arrests were first reported by USA TODAY.", THURSDAY, THURSDAY, "published"),
        ("Two ministers quit as he spoke to BBC Radio 4's Today program.", THURSDAY, THURSDAY, "published"),
        ("Today, the Queen's coffin leaves Balmoral.", THURSDAY, THURSDAY, "text"),
        # A forecast dates its weekday forward; five or six days back is a day or two after (a live page).
        ("The storm could hit the coast Saturday.", THURSDAY, date(2023, 1, 7), "text"),
        ("Goodell announced on Friday that the game is off.", THURSDAY, date(2023, 1, 6), "text"),
        ("The Bills held a vigil on Saturday.", THURSDAY, date(2023, 1, 7), "text"),  # two days after
        ("The team met on Sunday.", THURSDAY, date(2023, 1, 1), "text"),  # four days before
        # "Last Friday" is past, however far back.
        ("The coach stepped down last Friday.", THURSDAY, date(2022, 12, 30), "text"),
        ("The coach stepped down last Thursday.", THURSDAY, date(2022, 12, 29), "text"),
        # What is to come dates the weekday of its own clause only; a "when" clause shares its time.
        ("On Monday, the House will vote on the bill.", THURSDAY, date(2023, 1, 9), "text"),
        ("Workers were told on Monday that the plant will close.", THURSDAY, date(2023, 1, 2), "text"),
        ("Roads were shut on Monday, and the rail line will not reopen.", THURSDAY, date(2023, 1, 2), "text"),
        ("It will lie in state till 6:30 a.m. (1:30 ET) on Monday.", THURSDAY, date(2023, 1, 9), "text"),
        ("There could be a vote when the House meets at noon Monday.", THURSDAY, date(2023, 1, 9), "text"),
        # A reporting clause is past, whatever its sentence says is to come.
        (
            "The mill will close in March, the company told staff on Tuesday.",
            THURSDAY,
            date(2023, 1, 3),
            "text",
        ),
        ("The House will vote on Friday, officials said.", THURSDAY, date(2023, 1, 6), "text"),
        # A bound or a picture's day is not the event's: the article's date is.
        ("San Francisco has handed out 8,000 sandbags since Saturday.", THURSDAY, THURSDAY, "published"),
        ("Minneapolis has had 32.6 inches of snow since Nov. 1.", THURSDAY, THURSDAY, "published"),
        ("An avalanche warning was issued until Wednesday.", THURSDAY, THURSDAY, "published"),
        ("He is held until he's arraigned on Monday.", THURSDAY, THURSDAY, "published"),
        # A bound weekday and another one: the other is the event's.
        (
            "Since being admitted Monday night, he improved most on Tuesday night.",
            THURSDAY,
            date(2023, 1, 3),
            "text",
        ),
        ("The former pope, pictured on November 30, 2005, was 95.", THURSDAY, THURSDAY, "published"),
        ("He met the family prior to Sept. 10, an aide said.", THURSDAY, THURSDAY, "published"),
        # "since Tuesday, when …" is the day of what the "when" clause tells.
        ("She has lain in state since Tuesday, when her coffin arrived.", THURSDAY, date(2023, 1, 3), "text"),
        # "Is expected" tells what is to come.
        ("A vote is expected Wednesday.", THURSDAY, date(2023, 1, 11), "text"),
        # "had … by Tuesday": what stood that day; a plan "by Tuesday" stays a bound.
        ("Crews had moved 18,000 cubic metres by Tuesday evening.", THURSDAY, date(2023, 1, 3), "text"),
        ("Crews hope to clear the road by Tuesday.", THURSDAY, THURSDAY, "published"),
        # "said Tuesday's operation": the day of what was spoken of, not of the saying.
        ("An expert said Tuesday's strike broke the law.", THURSDAY, THURSDAY, "published"),
        ("The mayor said in Tuesday's briefing that roads are open.", THURSDAY, date(2023, 1, 3), "text"),
        # "Yesterday" in a quotation is the speaker's, said on a day the sentence does not give.
        ('"It is not overtaken, as he said yesterday," Norton said.', THURSDAY, THURSDAY, "published"),
        ("He wrote: “last night I drank far too much.”", THURSDAY, THURSDAY, "published"),
        ('"We are ready," the mayor said yesterday.', THURSDAY, date(2023, 1, 4), "text"),
    ],
)
def test_a_step_is_dated_by_the_day_its_sentence_states_else_by_its_article(
    sentence: str, published: date | None, day: date, source: str
) -> None:
    assert step_day(sentence, published) == (day, source)


@pytest.mark.parametrize(
    ("text", "steps"),
    [
        pytest.param(
            "Damar Hamlin was moved out of intensive care on Wednesday. "
            "Microsoft:Company to lay off 10,000 employees starting Wednesday. "
            "Contributing: Jane Doe on Tuesday, USA TODAY.",
            ["Damar Hamlin was moved out of intensive care on Wednesday."],
            id="credit lines and linked headlines are no steps",
        ),
        pytest.param(
            "Damar Hamlin remains in critical condition, the Bills said. "
            "“We are praying for Damar,” coach Sean McDermott said on Wednesday. "
            "“He is a fighter,” his uncle said.",
            [
                "“We are praying for Damar,” coach Sean McDermott said on Wednesday.",
                "Damar Hamlin remains in critical condition, the Bills said.",
            ],
            id="a quotation is a step only when it says the day it was said",
        ),
        pytest.param(
            "Damar Hamlin remains in critical condition. Did the NFL cancel the game?",
            ["Damar Hamlin remains in critical condition."],
            id="a question is no step",
        ),
        pytest.param(
            "Damar Hamlin collapsed on Monday. The Bills will play again on Sunday, the team said.",
            ["Damar Hamlin collapsed on Monday."],
            id="a plan for a day after the article is no step: its report will be",
        ),
        pytest.param(
            "Damar Hamlin collapsed on Monday. The NFL set a Jan. 20 deadline for the decision. "
            "Damar Hamlin's doctors spoke on Jan. 6.",
            ["Damar Hamlin collapsed on Monday.", "Damar Hamlin's doctors spoke on Jan. 6."],
            id="a day set two days or more after the article is a deadline, no step",
        ),
        pytest.param(
            "Damar Hamlin remains in critical condition. His doctors kept Hamlin sedated overnight. "
            "Hamlin is 24. Hamlin was a sixth-round pick. Joe Biden said he had called Hamlin's parents.",
            [
                "Damar Hamlin remains in critical condition.",
                "His doctors kept Hamlin sedated overnight.",
                "Joe Biden said he had called Hamlin's parents.",
            ],
            id="past its lead an undated sentence is a step when it reports what someone said or did",
        ),
        pytest.param(
            "Damar Hamlin remains in critical condition. His doctors kept Hamlin sedated overnight. "
            "New York Governor Kathy Hochul also paid tribute. The crowd also paid tribute.",
            [
                "Damar Hamlin remains in critical condition.",
                "His doctors kept Hamlin sedated overnight.",
                "New York Governor Kathy Hochul also paid tribute.",
            ],
            id="past its lead a named speaker's reaction is a step without naming the story",
        ),
        pytest.param(
            "Damar Hamlin remains in critical condition. It's the first Short List of 2023, so let's get to "
            "Tuesday's news! Here's what you need to know about Damar Hamlin on Wednesday. "
            "“The country has your back,” Damar Hamlin's coach said on Tuesday.",
            [
                "“The country has your back,” Damar Hamlin's coach said on Tuesday.",
                "Damar Hamlin remains in critical condition.",
            ],
            id="the page speaking to its reader is no step, a quotation saying you is",
        ),
        pytest.param(
            "Damar Hamlin remains in critical condition. John Waller via AP Fans hold a Damar Hamlin sign on "
            "Tuesday. NOAA/NASA The stadium of Damar Hamlin is lit on Monday. Damar Hamlin poses with fans "
            "on Jan. 1, 2023. Damar Hamlin (R) and Josh Allen take part in a drill on Jan. 1, 2022. "
            "A satellite photo of Damar Hamlin's stadium on Jan. 1, 2020, showed the lights. "
            "Consider supporting our journalism and become a USA TODAY digital subscriber today.",
            ["Damar Hamlin remains in critical condition."],
            id="a picture's credit, pose, places or telling and the call for subscribers are no steps",
        ),
        pytest.param(
            "Damar Hamlin remains in critical condition. For the latest news on Damar Hamlin, read USA "
            "TODAY's coverage for Tuesday. Here's what to know about Damar Hamlin on Tuesday. DAMAR HAMLIN "
            "LIVE UPDATES: Bills fans gather on Tuesday. Live updates: Damar Hamlin's fans rally on Tuesday. "
            "Fans pray for Damar Hamlin in this photo on Tuesday. "
            "USA TODAY has reached out to Damar Hamlin's family for comment on Tuesday. "
            "Damar Hamlin's family thanked fans on Tuesday.",
            ["Damar Hamlin's family thanked fans on Tuesday.", "Damar Hamlin remains in critical condition."],
            id="the page pointing elsewhere or at itself is no step",
        ),
        pytest.param(
            "Damar Hamlin remains in critical condition. Damar Hamlin was drafted by the Bills in 2021. "
            "Damar Hamlin collapsed in a 2023 game on Monday.",
            [
                "Damar Hamlin collapsed in a 2023 game on Monday.",
                "Damar Hamlin remains in critical condition.",
            ],
            id="background known only by an earlier year is no step",
        ),
        pytest.param(
            "Damar Hamlin collapsed on Monday. January 3 - Damar Hamlin's doctors give an update. "
            "January 2-4 - The Bills practise without Damar Hamlin.",
            ["Damar Hamlin collapsed on Monday."],
            id="a calendar's rows are no steps",
        ),
        pytest.param(
            "Damar Hamlin collapsed on Monday. Damar Hamlin's doctors expect to lift his sedation by Friday "
            "at the earliest. Damar Hamlin's family thanked fans until late Tuesday.",
            ["Damar Hamlin collapsed on Monday.", "Damar Hamlin's family thanked fans until late Tuesday."],
            id="a plan by a bound day is no step",
        ),
        pytest.param(
            "Damar Hamlin collapsed on Monday. Damar Hamlin will fly home on Saturday. "
            "Damar Hamlin's doctors confirmed on Saturday that he will fly home.",
            [
                "Damar Hamlin collapsed on Monday.",
                "Damar Hamlin's doctors confirmed on Saturday that he will fly home.",
            ],
            id="a plan for a later day is no step, a later day's report of one is",
        ),
    ],
)
def test_which_sentences_are_steps(text: str, steps: list[str]) -> None:
    timeline = build_timeline("How did the Damar Hamlin story develop?", [_hit("a", "2023-01-05", text)])
    assert [step.text for step in timeline.steps] == steps


def test_a_step_reads_without_its_reports_dateline_and_its_quote_keeps_it() -> None:
    text = "BUFFALO (Gazette) — Damar Hamlin was moved out of intensive care on Wednesday."
    (step,) = build_timeline("How did the Damar Hamlin story develop?", [_hit("a", "2023-01-05", text)]).steps
    assert step.text == "Damar Hamlin was moved out of intensive care on Wednesday."
    assert step.citations[0].quote == text


def test_an_undated_sentence_of_an_undated_article_has_no_day() -> None:
    assert step_day("The team said he remains in critical condition.", None) is None


def test_the_words_that_ask_for_a_timeline_or_say_its_period_are_not_the_story() -> None:
    assert topic_words("How did the Damar Hamlin story develop?") == ["damar", "hamlin"]
    assert topic_words("How did efforts to ban TikTok develop in late 2022 and early 2023?") == [
        "effort",
        "ban",
        "tiktok",
    ]
    assert topic_words("How did the early voting story develop in mid-July?") == ["early", "voting"]


def _hit(article_id: str, published: str, text: str, outlet: str = "AP") -> ScoredChunk:
    return scored_hit(article_id, published, text, outlet, title=f"Title {article_id}")


STORY = [
    _hit(
        "ap-1", "2023-01-03", "Damar Hamlin collapsed on Monday during the Bills game. Fans prayed outside."
    ),
    _hit(
        "reuters-1",
        "2023-01-03",
        "Damar Hamlin collapsed on Monday during the Bills game in Cincinnati.",
        "Reuters",
    ),
    _hit("ap-2", "2023-01-06", "Doctors removed Damar Hamlin's breathing tube on Thursday, the Bills said."),
    _hit(
        "ap-3",
        "2023-01-20",
        "Damar Hamlin thanked fans. He was released from hospital on Jan. 11, Hamlin said.",
    ),
    _hit("other", "2023-01-04", "The Ukraine grain deal was extended on Tuesday."),
]


def test_a_timeline_lists_dated_cited_steps_oldest_first_with_wire_copies_merged_and_silences_said() -> None:
    timeline = build_timeline("How did the Damar Hamlin story develop?", list(reversed(STORY)))
    assert [(s.day.isoformat(), s.date_source) for s in timeline.steps] == [
        ("2023-01-02", "text"),
        ("2023-01-05", "text"),
        ("2023-01-11", "text"),
        ("2023-01-20", "published"),  # "Damar Hamlin thanked fans.": no day stated, its article's
    ]
    first = timeline.steps[0]
    assert {c.article_id for c in first.citations} == {"ap-1", "reuters-1"}  # one step, both outlets
    assert all(c.quote for s in timeline.steps for c in s.citations)
    assert all("grain" not in s.text for s in timeline.steps)  # another story
    # Articles of 3, 6 and 20 January: nothing between the 7th and the 19th.
    assert [str(s) for s in timeline.silences] == ["no articles between 2023-01-07 and 2023-01-19"]
    assert timeline.articles == 4
    assert timeline.to_json()["steps"][0]["date"] == "2023-01-02"


@pytest.mark.parametrize(
    ("first", "second", "merged"),
    [
        # One shared word of an event ("collapsed") does not tell one event; a wire copy shares three or more.
        (
            "Damar Hamlin collapsed on Monday during the Bills game.",
            "Damar Hamlin collapsed on Monday.",
            False,
        ),
        (
            "Damar Hamlin collapsed on Monday during the Bills game.",
            "Damar Hamlin collapsed on Monday during the Bills game in Cincinnati.",
            True,
        ),
        # The story's names and the words saying when are in many of its sentences: they tell no event.
        (
            "Damar Hamlin's doctors met the Bills on Tuesday night at 11 p.m. ET.",
            "Damar Hamlin thanked fans on Tuesday night at 11 p.m. ET.",
            False,
        ),
    ],
)
def test_sentences_are_one_step_when_they_share_three_words_of_an_event(
    first: str, second: str, merged: bool
) -> None:
    hits = [_hit("ap-1", "2023-01-03", first), _hit("reuters-1", "2023-01-03", second, "Reuters")]
    timeline = build_timeline("How did the Damar Hamlin story develop?", hits)
    assert len(timeline.steps) == (1 if merged else 2)


def test_an_article_holding_every_name_the_story_is_asked_by_is_of_the_story() -> None:
    # "effort" and "restrict" are rare in the found articles, so "tiktok" and "ban" alone cover less
    # than half of the topic's weight: the names decide.
    hits = [
        _hit("a", "2022-12-13", "Lawmakers stepped up efforts to ban and restrict TikTok on Tuesday."),
        _hit("b", "2022-12-14", "The Senate passed a TikTok bill on Wednesday."),
        _hit("c", "2022-12-14", "The Senate passed a farm bill on Wednesday."),
    ]
    timeline = build_timeline("How did US efforts to ban or restrict TikTok develop?", hits)
    assert [s.citations[0].article_id for s in timeline.steps] == ["a", "b"]


def test_a_timeline_for_a_period_keeps_its_steps_and_says_when_there_are_none() -> None:
    since = build_timeline("Damar Hamlin", STORY, since=date(2023, 1, 4))
    assert [s.day.isoformat() for s in since.steps] == ["2023-01-05", "2023-01-11", "2023-01-20"]
    assert (
        build_timeline("the zorblax tariff", STORY).said
        == "No indexed article tells of “the zorblax tariff”."
    )
    empty = build_timeline("Damar Hamlin", STORY, since=date(2023, 2, 1), until=date(2023, 2, 28))
    assert not empty.steps
    assert empty.said == "No indexed article tells of “Damar Hamlin” between 2023-02-01 and 2023-02-28."


def test_qa_timeline_prints_the_steps_and_json(
    make_desk: Callable[..., NewsDesk],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    records = [
        {"id": h.article.id, "title": h.article.title, "published": h.article.published, "text": h.chunk.text}
        for h in STORY
    ]
    desk = make_desk()  # FAKE embedder
    desk.ingest([write_jsonl(tmp_path / "story.jsonl", records)], progress=False)
    timeline = desk.timeline("Damar Hamlin", as_of=date(2023, 1, 21))
    assert [s.day.isoformat() for s in timeline.steps] == [
        "2023-01-02",
        "2023-01-05",
        "2023-01-11",
        "2023-01-20",
    ]
    assert desk.timeline("Damar Hamlin", until=date(2023, 1, 3), as_of=date(2023, 1, 21)).steps[0].citations
    empty = desk.timeline("Damar Hamlin", since=date(2023, 3, 1), as_of=date(2023, 4, 1))
    assert empty.said and not empty.steps
    monkeypatch.setattr(NewsDesk, "timeline", lambda self, topic, **_: timeline)
    assert cli.main(["timeline", "Damar Hamlin", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["steps"][1]["date_source"] == "text" and payload["steps"][1]["citations"][0]["quote"]
    assert cli.main(["timeline", "Damar Hamlin", "--since", "2023-01-01"]) == 0
    shown = capsys.readouterr().out
    assert shown.index("2023-01-02  ") < shown.index("(no articles between") < shown.index("2023-01-11  ")
    assert "4 steps from 4 articles." in shown


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("How did the Damar Hamlin story develop?", True),
        ("How has the debt ceiling fight unfolded?", True),
        ("Catch me up on the Ukraine grain deal since Monday", True),
        ("Give me a timeline of the House speaker vote", True),
        ("What happened with the debt ceiling this month?", True),
        ("How many votes did McCarthy lose?", False),
        ("What happened to Damar Hamlin?", False),  # one fact: the chat answers it
    ],
)
def test_the_chat_knows_a_question_asking_how_a_story_developed(question: str, asks: bool) -> None:
    assert asks_for_timeline(question) is asks


def test_the_chat_renders_a_timeline_as_dated_steps_with_their_outlets_and_silences() -> None:
    from qa.web.views import render_timeline

    timeline = build_timeline("Damar Hamlin", STORY)
    html = render_timeline(timeline)
    assert html.count('<li class="nd-step">') == 4 and "nd-streaming" not in html
    assert '<time datetime="2023-01-02">' in html
    assert '<span class="nd-title">AP</span> · <span class="nd-title">Reuters</span>' in html  # both outlets
    assert html.index("2023-01-05") < html.index("no articles between 2023-01-07") < html.index("2023-01-11")
    assert "article&#39;s date" in html or "article's date" in html
    building = render_timeline(timeline, shown=2)
    assert building.count('<li class="nd-step">') == 2 and "nd-streaming" in building
    hostile = build_timeline(
        "Damar Hamlin", [_hit("x", "2023-01-03", "Damar Hamlin <script>alert(1)</script> on Monday.")]
    )
    assert "<script>" not in render_timeline(hostile)  # article text is escaped
    assert "No timeline in the articles" in render_timeline(build_timeline("zorblax", STORY))
