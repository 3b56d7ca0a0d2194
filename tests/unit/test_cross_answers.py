"""Questions across articles (issue 22): each side found in its own article and cited, the comparison
computed in code, a side no article states said (the FAKE embedder and chat model where a desk is used)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from qa.answer.across.answer import answer_across, fact_asked
from qa.answer.across.question import asks_difference, cross_question
from qa.answer.across.reports import MONTH_REACH, REPORT_DAYS, YEAR_REACH, pair_reports, question_days
from qa.answer.across.sides import compounds_held, ranked
from qa.answer.across.values import asked_values, difference, phrase_around, stems
from qa.documents import Chunk, ScoredChunk
from qa.results import AbstainReason
from qa.service import NewsDesk
from qa.text.values import find_values
from tests.conftest import scored_hit as _hit
from tests.conftest import write_jsonl

pytestmark = pytest.mark.unit

AS_OF = date(2023, 1, 20)


@pytest.mark.parametrize(
    ("question", "kind", "options"),
    [
        (
            "Was Pelé buried before or after the funeral of Benedict XVI?",
            "order",
            ("Pelé buried", "the funeral of Benedict XVI"),
        ),
        (
            "Did Meta's decision come before or after Trump ordered troops into Washington, D.C.?",
            "order",
            ("Meta's decision", "Trump ordered troops into Washington, D.C."),
        ),
        (
            "Did Taylor Swift win more VMAs in 2023 or in 2024, and how many each year?",
            "comparison",
            ("in 2023", "in 2024"),
        ),
        (
            "Who was older at death, Queen Elizabeth II or Pope Benedict XVI, and what were their ages?",
            "comparison",
            ("Queen Elizabeth II", "Pope Benedict XVI"),
        ),
        (
            "How much cheaper was the iPhone 16e than the iPhone 17?",
            "comparison",
            ("the iPhone 16e", "the iPhone 17"),
        ),
        (
            "How did the death toll in Erie County change between the Dec 26 and Dec 28 reports?",
            "change",
            None,
        ),
        ("How many votes did McCarthy get on the first ballot, and how many on the last?", "change", None),
        ("Do CNN and USA Today agree on how old Benedict was when he died?", "disagreement", None),
        ("did they open more shelters between the first and second report", "change", None),
        ("how many more had been evacuated by the oct 21 report than on oct 19", "change", None),
        ("how many more were treated in the clarion's nov 20 story than in its nov 13 one", "change", None),
        ("how much did the orrin st petition grow between the march and the council vote", "change", None),
        ("did the petition go up between the dec 7 and dec 9 reports", "change", None),
        # Typed as users type: a spaced hyphen ends a side; "what happened first" asks the order.
        (
            "ridge run vs greyhollow half - which one had more ppl finish",
            "comparison",
            ("ridge run", "greyhollow half"),
        ),
        (
            "what happened first - the bridge closing or corvell telling staff",
            "order",
            ("the bridge closing", "corvell telling staff"),
        ),
        # A colon introduces the two, commas and all; more comparatives; "bigger or smaller than".
        (
            "Which outbreak had more deaths: the Flint, Michigan outbreak in 2016, or the Harlem cluster?",
            "comparison",
            ("the Flint, Michigan outbreak in 2016", "the Harlem cluster"),
        ),
        (
            "Which hurricane had the stronger winds at landfall: Fiona in Puerto Rico or Ian in Florida?",
            "comparison",
            ("Fiona in Puerto Rico", "Ian in Florida"),
        ),
        (
            "Customers sued. Was the total they sought bigger or smaller than the settlement Hertz paid?",
            "comparison",
            ("the total they sought", "the settlement Hertz paid"),
        ),
    ],
)
def test_a_question_across_articles_is_read_as_its_kind_and_its_two_sides(
    question: str, kind: str, options: tuple[str, str] | None
) -> None:
    cross = cross_question(question)
    assert cross is not None and cross.kind == kind and cross.options == options


@pytest.mark.parametrize(
    "question",
    [
        # "more than" counts, it compares nothing
        "More than 100,000 homes lost power this week due to which kind of severe weather?",
        "Which pharmacy chain closed all its stores after more than 60 years in business?",
        "How many votes did McCarthy lose?",
        "How many homes lost power? How many homes lost power?",  # asked twice, not a figure at two times
        "What did the council decide about the bridge, and when?",
        "How much did prices rise in 2022?",  # one report's figure, not one figure at two times
        "Did prices rise in 2022?",
    ],
)
def test_a_question_for_one_fact_is_not_read_as_one_across_articles(question: str) -> None:
    assert cross_question(question) is None


def test_each_side_is_searched_without_the_other_sides_words() -> None:
    cross = cross_question("Did the film get more nominations for the BAFTAs or for the Oscars?")
    assert cross is not None
    assert cross.side_queries() == (
        "Did the film get more nominations for the BAFTAs?",
        "Did the film get more nominations for the Oscars?",
    )
    assert fact_asked("Do CNN and USA Today agree on how old Benedict was when he died?") == (
        "how old Benedict was when he died?"
    )


ARTICLES = [
    _hit("pele", "2023-01-04", "Pelé was buried in Santos on Jan. 3 after a 24-hour wake at the stadium."),
    _hit(
        "pope",
        "2023-01-05",
        "Pope Francis presided over the funeral of Benedict XVI in St. Peter's Square on Thursday.",
    ),
    _hit(
        "globes",
        "2022-12-12",
        "The Banshees of Inisherin leads the Golden Globes field with eight nominations.",
    ),
    _hit("bafta", "2023-01-19", "The Banshees of Inisherin earned 10 BAFTA nominations, a tie for the most."),
    _hit(
        "storm-1", "2022-12-26", "The death toll in Erie County rose to 27 on Monday, officials said.", "CNN"
    ),
    _hit(
        "storm-2",
        "2022-12-28",
        "The death toll in Erie County rose to 37 on Wednesday, officials said.",
        "USA Today",
    ),
    _hit(
        "lotto-1", "2022-07-29", "The Mega Millions cash option was $742.2 million before the drawing.", "CNN"
    ),
    _hit(
        "lotto-2",
        "2022-07-29",
        "Before the drawing, the Mega Millions cash option was $747.2 million.",
        "USA Today",
    ),
]


def _search(hits: Sequence[ScoredChunk]) -> Callable[[str], list[ScoredChunk]]:
    return lambda query: list(hits)  # every article found: the sides must pick their own


def _answer(
    question: str, hits: Sequence[ScoredChunk] = ARTICLES, as_of: date = AS_OF
) -> tuple[str, list[str]]:
    """The answer's text and the ids of the articles it cites, every one of `hits` found for each search."""
    cross = cross_question(question)
    assert cross is not None
    answer = answer_across(cross, _search(hits), as_of)
    return answer.text, [s.article.id for s in answer.sources]


def test_an_order_question_compares_the_days_each_article_states() -> None:
    text, cited = _answer("Was Pelé buried before or after the funeral of Benedict XVI?")
    assert text.startswith(
        "Before: Pelé buried on 3 January 2023 [1]; the funeral of Benedict XVI on 5 January 2023 [2]"
    )
    assert cited == ["pele", "pope"]


def test_a_comparison_names_the_larger_side_and_cites_each_value_to_its_article() -> None:
    text, cited = _answer(
        "Did The Banshees of Inisherin get more Golden Globe nominations or more BAFTA nominations?"
    )
    assert (
        text
        == "More BAFTA nominations. More Golden Globe nominations: eight [1]; more BAFTA nominations: 10 [2]."
    )
    assert cited == ["globes", "bafta"]


def test_a_change_reads_the_reports_of_the_days_the_question_names_oldest_first() -> None:
    text, cited = _answer(
        "How did the death toll in Erie County change between the Dec 26 and Dec 28 reports?"
    )
    assert text.startswith("It rose from 27 (CNN, 2022-12-26) [1] to 37 (USA Today, 2022-12-28) [2].")
    assert cited == ["storm-1", "storm-2"]


def test_reports_that_disagree_are_both_given_and_agreeing_ones_are_said_to_agree() -> None:
    text, cited = _answer(
        "Did CNN and USA Today report the same Mega Millions cash option before the drawing?"
    )
    assert (
        text == "No: CNN (2022-07-29) says $742.2 million (“The Mega Millions cash option was $742.2 million "
        "before the drawing”) [1]; USA Today (2022-07-29) says $747.2 million (“the Mega Millions cash "
        "option was $747.2 million”) [2]."
    )
    assert sorted(cited) == ["lotto-1", "lotto-2"]
    same = [
        ARTICLES[6],
        _hit("lotto-3", "2022-07-30", "The Mega Millions cash option was $742.2 million.", "AP"),
    ]
    cross = cross_question("Did CNN and AP agree on the Mega Millions cash option?")
    assert cross is not None
    assert answer_across(cross, _search(same), AS_OF).text == (
        "Yes: both say $742.2 million: “The Mega Millions cash option was $742.2 million before the drawing” "
        "[1]; “The Mega Millions cash option was $742.2 million” [2]."
    )


def test_a_side_no_article_states_is_said_and_nothing_is_guessed_for_it() -> None:
    cross = cross_question("Was Pelé buried before or after the Zorblax summit ended?")
    assert cross is not None
    answer = answer_across(cross, _search(ARTICLES), AS_OF)
    assert not answer.sources and not answer.text and answer.missing == "the Zorblax summit ended"


def _records() -> list[dict[str, str | None]]:
    return [
        {
            "id": h.article.id,
            "title": h.article.title,
            "published": h.article.published,
            "source": h.article.source,
            "text": h.chunk.text,
        }
        for h in ARTICLES
    ]


def test_the_desk_answers_across_articles_without_the_model_and_cites_both(
    make_desk: Callable[..., NewsDesk], tmp_path: Path
) -> None:
    desk = make_desk()  # FAKE embedder and FAKE chat model
    desk.ingest([write_jsonl(tmp_path / "news.jsonl", _records())], progress=False)
    result = desk.ask("Was Pelé buried before or after the funeral of Benedict XVI?", as_of=AS_OF)
    assert result.answer.startswith("Before: ") and not result.abstained and not result.llm_called
    assert result.across == "order" and [c.article_id for c in result.citations] == ["pele", "pope"]
    assert result.citations[0].quote.startswith("Pelé was buried") and all(
        c.supported for c in result.citations
    )
    declined = desk.ask("Was Pelé buried before or after the Zorblax summit ended?", as_of=AS_OF)
    assert declined.abstained and declined.abstain_reason == AbstainReason.SIDE_NOT_STATED
    assert AbstainReason.SIDE_NOT_STATED.explain(declined) == "no article states the Zorblax summit ended"


def test_with_the_setting_off_a_question_across_articles_goes_to_the_model(
    make_desk: Callable[..., NewsDesk], tmp_path: Path
) -> None:
    desk = make_desk(cross_article_answers=False)
    desk.ingest([write_jsonl(tmp_path / "news.jsonl", _records())], progress=False)
    result = desk.ask("Was Pelé buried before or after the funeral of Benedict XVI?", as_of=AS_OF)
    assert result.across is None and result.llm_called


def test_which_came_first_is_an_order_question_that_names_the_first() -> None:
    cross = cross_question("which happened first, the funeral of Benedict XVI or Pelé buried")
    assert cross is not None and cross.kind == "order" and cross.asks_first
    answer = answer_across(cross, _search(ARTICLES), AS_OF)
    assert answer.text.startswith("Pelé buried came first: ")


GRANTS = [
    _hit(
        "fair", "2026-10-12", "The Harvest Fair drew 23,750 people and had a $48,500 grant from the council."
    ),
    _hit(
        "lanterns",
        "2026-10-20",
        "The Lantern Festival drew 18,400 visitors; the council gave it a $62,000 grant.",
    ),
    _hit(
        "march-1", "2026-11-08", "About 4,200 people took part in the march, police said.", "Harbour Gazette"
    ),
    _hit("march-2", "2026-11-08", "Organisers said 6,500 people took part in the march.", "Northfield Times"),
]


def test_a_comparison_weighs_figures_of_the_kind_asked_on_both_sides() -> None:
    cross = cross_question("which one got the bigger council grant, lantern festival or harvest fair?")
    assert cross is not None
    text = answer_across(cross, _search(GRANTS), AS_OF).text
    assert text == "Lantern festival. Lantern festival: $62,000 [1]; harvest fair: $48,500 [2]."


def test_an_outlet_is_named_by_a_word_of_its_name() -> None:
    cross = cross_question("did the gazette and the times report the same number of marchers")
    assert cross is not None
    text = answer_across(cross, _search(GRANTS), AS_OF).text
    assert text.startswith("No: Harbour Gazette (2026-11-08) says 4,200 (“About 4,200 people took part in")
    assert "[1]; Northfield Times (2026-11-08) says 6,500 (“Organisers said 6,500 people" in text


def _figures(sentence: str, question: str) -> list[str]:
    return [sentence[v.start : v.end] for v in asked_values(sentence, question, {})]


def test_a_quoted_figure_keeps_its_clause_cut_to_a_few_words_each_side() -> None:
    sentence = (
        "More than 7,800 flights were delayed, according to FlightAware, and over 1,100 flights were "
        "canceled as of 1:30 p.m. ET."
    )
    canceled = next(v for v in find_values(sentence) if v.key == "1100")
    assert phrase_around(sentence, canceled) == "and over 1,100 flights were canceled as of 1:30 p.m. ET"
    assert phrase_around(sentence, canceled, reach=3) == "and over 1,100 flights were canceled…"


def test_an_age_or_a_span_of_time_is_no_count_unless_asked() -> None:
    sentence = "Kirk, 31, spoke for 40 minutes to a crowd of some 3,000 people."
    assert _figures(sentence, "how large was the crowd?") == ["3,000"]
    assert _figures(sentence, "how old was Kirk?") == ["31"]
    assert "40" in _figures(sentence, "how long did Kirk speak?")
    assert _figures("Swift, who has 14 VMAs, won 7 on Tuesday.", "how many VMAs did Swift win?") == [
        "14",
        "7",
    ]


_BRIDGE = "The bridge is 212 metres long and 4.5 metres wide, and 11,000 walkers crossed it."
_PETITION = "They handed over a petition with 8,300 signatures and $5,000 in pledges."
_STORM = "Ian made landfall with 150 mph winds, and 50 homes lost power."


@pytest.mark.parametrize(
    ("sentence", "question", "figures"),
    [
        # A length of the dimension asked; a span of time for what lasted.
        (_BRIDGE, "which one is longer, the saltings footbridge or the kestle bridge", ["212"]),
        (_BRIDGE, "which bridge is wider", ["4.5"]),
        ("The 187-metre bridge drew 2,450 people.", "which is longer, a or b", ["187"]),
        ("The strike lasted 12 days and cost $3 million.", "which strike lasted longer", ["12"]),
        # No length, area or weight for a count; marchers are a crowd ("people … joined a march").
        (
            "Marchers walked 2.3 kilometres, and about 4,200 people marched.",
            "did the two papers report the same number of marchers",
            ["4,200"],
        ),
        (
            "Some 2,900 people, according to a police estimate, joined a march.",
            "did the two papers report the same number of marchers",
            ["2,900"],
        ),
        # "How much did it grow" asks for whatever it counts; an appeal counts money.
        (_PETITION, "how much did the petition grow between the march and the vote", ["8,300"]),
        (_PETITION, "how much did the appeal go up between the two reports", ["$5,000"]),
        # "long" as a plain adjective asks no length; a name after the counted noun is not what is counted.
        (
            "The Powerball jackpot is an estimated $625 million.",
            "During the long Powerball run, how did the jackpot change?",
            ["$625 million"],
        ),
        (
            "Biden awarded the medal to 17 people, including Simone Biles.",
            "how many people President Biden honored with the medal",
            ["17"],
        ),
        # A speed where one is asked; the wind of a storm asks none.
        (_STORM, "Which hurricane had the stronger winds: Fiona or Ian?", ["150"]),
        (_STORM, "How many homes lost power in the wind storm?", ["50"]),
        # A share is no count: "1 in 5 Americans" gives neither 1 nor 5.
        (
            "Medicaid insures 83 million adults, or more than 1 in 5 Americans.",
            "how many Americans does Medicaid cover?",
            ["83 million"],
        ),
        # A thousand written with its comma is a count, not the year 2000.
        (
            "The deployment of 2,000 troops in Los Angeles was in 2000 a first.",
            "how many troops did Trump send to Los Angeles",
            ["2,000"],
        ),
    ],
)
def test_a_figure_is_of_the_measure_asked(sentence: str, question: str, figures: list[str]) -> None:
    assert _figures(sentence, question) == figures


def test_money_is_read_only_where_the_question_asks_for_money() -> None:
    sentence = "The Congressional Budget Office says the $4.5 trillion bill leaves 11.8 million uninsured."
    asked = "How did the Congressional Budget Office's estimate of people losing coverage change?"
    assert _figures(sentence, asked) == ["11.8 million"]  # "Budget" in a name asks for no money
    assert _figures(sentence, "How did the bill's cost change?") == ["$4.5 trillion"]
    assert _figures(sentence, "How much does the bill cost?") == ["$4.5 trillion"]


def test_a_toll_is_read_beside_the_words_a_report_gives_it() -> None:
    toll = "The death toll from last week's catastrophic flooding rose to at least 104 on Monday."
    assert _figures(toll, "How did the death toll change?") == ["104"]
    assert _figures("The storm dumped 40 inches of snow.", "How did the death toll change?") == []


def test_the_days_a_question_names_take_its_year_and_a_month_reaches_the_whole_month() -> None:
    park = "How did the 2024 Park Fire's ranking change between the July 27 and July 30 reports?"
    assert question_days(park, date(2025, 9, 1)) == [
        (date(2024, 7, 27), REPORT_DAYS),
        (date(2024, 7, 30), REPORT_DAYS),
    ]
    bill = "How did the estimate change between the House vote in May 2025 and the Senate passage in July?"
    assert question_days(bill, date(2025, 9, 1)) == [
        (date(2025, 5, 15), MONTH_REACH),
        (date(2025, 7, 15), MONTH_REACH),
    ]
    assert question_days("How did it change from Aug 11 to mid-September?", date(2025, 9, 20)) == [
        (date(2025, 8, 11), REPORT_DAYS),
        (date(2025, 9, 15), MONTH_REACH),
    ]


def test_copies_of_one_sentence_show_no_change_between_its_two_figures() -> None:
    copy = "The iPhone 16 Pro starts at $999 and the iPhone 16 Pro Max at $1,199."
    hits = [_hit("iphone-1", "2024-09-09", copy), _hit("iphone-2", "2024-09-10", copy)]
    cross = cross_question("How did the starting price of the iPhone 16 Pro change between the two reports?")
    assert cross is not None
    text = answer_across(cross, _search(hits), AS_OF).text
    assert text == "It did not change: $999 (a report, 2024-09-09) [1], $999 (a report, 2024-09-10) [2]."


def test_outlets_named_with_one_day_are_read_on_that_day() -> None:
    hits = [
        _hit("cnn-24", "2022-12-24", "At least 22 deaths have been blamed on the storm.", "CNN"),
        _hit("usa-24", "2022-12-24", "Officials attributed at least 18 deaths to the storm.", "USA Today"),
        _hit("cnn-26", "2022-12-26", "The storm's death toll climbed to 49 on Monday.", "CNN"),
    ]
    cross = cross_question("On December 24, did CNN and USA Today report the same death toll for the storm?")
    assert cross is not None
    text = answer_across(cross, _search(hits), AS_OF).text
    assert text == (
        "No: CNN (2022-12-24) says 22 (“At least 22 deaths have been blamed on the storm”) [1]; "
        "USA Today (2022-12-24) says 18 (“Officials attributed at least 18 deaths to the storm”) [2]."
    )


def test_a_ranking_is_read_as_a_rank_and_told_without_rising_or_falling() -> None:
    hits = [
        _hit("fire-1", "2024-07-27", "It is now the seventh-largest fire in California history."),
        _hit(
            "fire-2",
            "2024-07-30",
            "The fire had burned 600 square miles, making it the fifth-largest fire in California history.",
        ),
    ]
    cross = cross_question(
        "How did the fire's ranking among California's largest wildfires change between the July 27 and "
        "July 30 reports?"
    )
    assert cross is not None
    text = answer_across(cross, _search(hits), date(2024, 8, 1)).text
    assert text.startswith(
        "It went from seventh (a report, 2024-07-27) [1] to fifth (a report, 2024-07-30) [2]."
    )


def test_one_sentence_found_by_both_sides_is_not_compared_with_itself() -> None:
    both = _hit("guard", "2025-08-11", "Trump will send 800 National Guard troops into Washington, D.C.")
    cross = cross_question(
        "How many National Guard troops did Trump send to Los Angeles compared with the number he "
        "ordered into Washington, D.C.?"
    )
    assert cross is not None
    answer = answer_across(cross, _search([both]), date(2025, 8, 20))
    assert answer.sources == () and answer.missing is not None


def test_an_acreage_is_a_figure_of_acres() -> None:
    sentence = "The Madre Fire broke out near Highway 166 and has burned 52,600 acres."
    assert _figures(sentence, "Give the acreage reported for the Madre Fire.") == ["52,600"]


def test_a_report_is_read_whole_where_the_search_found_another_of_its_passages() -> None:
    cnn = _hit(
        "cnn", "2022-07-29", "The Mega Millions cash option was $742.2 million before the drawing.", "CNN"
    )
    found = _hit("usa", "2022-07-29", "The Mega Millions drawing is on Friday night in Chicago.", "USA Today")
    text = "Before the drawing, the Mega Millions cash option was $747.2 million."
    start = len(found.chunk.text) + 1
    second = ScoredChunk(Chunk("usa#1", "usa", 1, text, start, start + len(text)), found.article, 0.4)
    whole = {"cnn": [cnn], "usa": [found, second]}
    cross = cross_question("Did CNN and USA Today give the same Mega Millions cash option?")
    assert cross is not None
    searched_only = answer_across(cross, _search([cnn, found]), AS_OF)
    assert searched_only.sources == ()
    answer = answer_across(
        cross, _search([cnn, found]), AS_OF, read_whole=lambda query, ids: [c for a in ids for c in whole[a]]
    )
    assert answer.text.startswith("No: CNN (2022-07-29) says $742.2 million")
    assert "USA Today (2022-07-29) says $747.2 million" in answer.text


def test_which_opened_first_dates_each_side_by_the_sentence_that_tells_its_opening() -> None:
    cross = cross_question("which opened first, kestle bridge or saltings footbridge")
    assert cross is not None and cross.event == "opened"
    assert cross.side_queries() == ("kestle bridge opened", "saltings footbridge opened")
    bridges = [
        _hit(
            "kestle",
            "2026-12-10",
            "More than 11,000 walkers and cyclists have used the new Kestle bridge over the River Dray "
            "in its first week, the department said on Wednesday. The 187-metre bridge opened last "
            "Thursday, Dec. 3, with a ribbon-cutting.",
            title="Kestle bridge draws crowds in its first week",
        ),
        _hit("saltings", "2026-12-08", "The new Saltings footbridge opened to the public on Saturday."),
        _hit(
            "estate", "2026-12-08", "The Saltings estate bridge work went on. Crews opened a road on Monday."
        ),
    ]
    text = answer_across(cross, _search(bridges), date(2026, 12, 11)).text
    assert text.startswith("Kestle bridge came first: kestle bridge on 3 December 2026 [1]; saltings")


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("How much cheaper was the iPhone 16e than the iPhone 17?", True),
        ("which bridge cost more, saltings or kestle, and by how much", True),
        ("What's the difference in cost between the two bridges?", True),
        ("which bridge cost more, saltings or kestle?", False),
    ],
)
def test_a_comparison_asks_by_how_much_as_users_type_it(question: str, asks: bool) -> None:
    assert asks_difference(question) is asks


@pytest.mark.parametrize(
    ("first", "second", "gap"),
    [
        ("$11.2 million", "$9.4 million", "$1.8 million"),  # as the news writes it
        ("$1,234,567", "$0", "$1,234,567"),  # a figure it rounds no further
        ("2 billion", "500 million", "1.5 billion"),
        ("$300", "$100", "$200"),
        ("12.5%", "10%", "2.5%"),
    ],
)
def test_a_difference_is_written_as_the_figures_are(first: str, second: str, gap: str) -> None:
    a, b = find_values(first)[0], find_values(second)[0]
    assert (
        difference(a, Decimal(a.key.lstrip("$").rstrip("%")), Decimal(b.key.lstrip("$").rstrip("%"))) == gap
    )


def test_an_asked_compound_is_held_by_its_head_word() -> None:
    held = set(stems("The 187-metre bridge opened; the fire spread; a report said"))
    asked = set(stems("footbridge wildfire airport"))
    # "footbridge" is the report's "bridge", "wildfire" its "fire"; no part under four letters ("air|port").
    assert compounds_held(held, asked) == set(stems("footbridge wildfire"))


def test_a_report_of_a_month_is_one_published_in_that_month() -> None:
    # June 30 is 15 days from July 15, but "its July report" is not a June one.
    reports = [
        _hit(
            "may",
            "2025-05-22",
            "Medicaid provides health insurance to more than 71 million Americans.",
            "USA Today",
        ),
        _hit("june", "2025-06-30", "Medicaid covers more than 71 million low-income Americans.", "USA Today"),
        _hit("july", "2025-07-03", "Medicaid covers 83 million low-income children and adults.", "USA Today"),
    ]
    text, cited = _answer(
        "How many Americans does Medicaid cover, according to USA Today's May 2025 explainer "
        "and its July 2025 report? Do they agree?",
        reports,
        date(2025, 7, 10),
    )
    assert text.startswith("No: ") and "83 million" in text, text
    assert cited == ["may", "july"]


def test_a_count_of_americans_is_a_count_of_people_as_a_report_words_them() -> None:
    question = "How many Americans does Medicaid cover?"
    figures = asked_values(
        "Medicaid insures 83 million low-income children and adults, KFF says.", question, {}
    )
    assert [f.key for f in figures] == ["83000000"]
    assert not asked_values("Medicaid spending rose 83 million dollars, KFF says.", question, {})


def test_a_name_typed_in_lower_case_ends_what_is_counted() -> None:
    # "how many jobs corvell is cutting" counts jobs, not "corvell"s.
    question = "do the post and the journal agree on how many jobs corvell is cutting"
    assert asked_values("Corvell will cut 265 jobs by Dec. 18.", question, {})
    assert not asked_values("Corvell sales fell 31 percent last year.", question, {})


def test_a_side_that_names_a_month_is_read_in_reports_of_that_month() -> None:
    # An August report names Los Angeles beside its count, more of the side's words than the June one: only
    # the June report is of the side that names June.
    reports = [
        _hit("june", "2025-06-10", "Trump sent 4,000 National Guard troops into Los Angeles.", "USA Today"),
        _hit(
            "august-1",
            "2025-08-11",
            "Trump, who sent National Guard troops to Los Angeles, will send 800 National Guard troops.",
            "CNN",
        ),
        _hit("august-2", "2025-08-12", "Trump sent 800 National Guard troops to Washington.", "USA Today"),
    ]
    text, cited = _answer(
        "How many National Guard troops did Trump send to Los Angeles in June 2025 compared with "
        "the number he sent to Washington in August 2025?",
        reports,
        date(2025, 8, 20),
    )
    assert "4,000 [1]" in text and "800 [2]" in text, text
    assert cited == ["june", "august-2"]


def test_a_change_between_two_years_reads_a_report_of_each_year() -> None:
    # A guess made in 2024 says more of the asked words than the 2025 report does, and less than the 2024
    # report: a pair of any two reports is the 2024 two; "in 2025" asks for the report of 2025.
    reports = [
        _hit(
            "pro-2024",
            "2024-09-09",
            "Apple said the starting price of the iPhone 16 Pro is $999.",
            "USA Today",
        ),
        _hit("guess", "2024-09-12", "The iPhone 17 Pro starting price may be $1,199.", "USA Today"),
        _hit("pro-2025", "2025-09-09", "The iPhone 17 Pro costs $1,099.", "USA Today"),
    ]
    question = (
        "How did the starting price of the iPhone Pro change from the 16 Pro in 2024 to the 17 Pro in 2025?"
    )
    assert question_days(question, date(2025, 9, 20)) == [
        (date(2024, 7, 2), YEAR_REACH),
        (date(2025, 7, 2), YEAR_REACH),
    ]
    text, cited = _answer(question, reports, date(2025, 9, 20))
    assert "$999" in text and "$1,099" in text, text
    assert cited == ["pro-2024", "pro-2025"]


def test_a_word_and_its_endings_are_cut_to_one_stem() -> None:
    # "estimate" and "estimated" are one word: a report that "estimated" answers the asked "estimate".
    assert len(set(stems("estimate estimated estimates estimating"))) == 1
    assert len(set(stems("update updated updates"))) == 1
    assert stems("state stated senate") == ["stat", "stat", "senat"]  # a short stem keeps its letters


@pytest.mark.parametrize("order", [0, 1])
def test_of_one_days_two_reports_an_expectation_comes_before_what_came_of_it(order: int) -> None:
    reports = [
        _hit(
            "expected", "2025-09-21", "Police said 200,000 people are expected to attend the memorial.", "CNN"
        ),
        _hit(
            "estimated", "2025-09-21", "Police estimated the crowd at the memorial at 100,000.", "USA Today"
        ),
    ]
    text, cited = _answer(
        "How did the police's crowd figure for the memorial change from their expectation to their estimate?",
        reports[order:] + reports[:order],
        date(2025, 9, 22),
    )
    assert text.startswith("It fell from 200,000"), text
    assert cited == ["expected", "estimated"]


def test_a_figure_several_articles_give_outweighs_one_articles_odd_figure() -> None:
    # The two petition sentences score best and word their figures alike, but one article gives 6,800
    # and one 6,000, where two give the crowd's 3,000.
    question = "Do the reports agree on how large the crowd was at Kirk's event?"
    hits = [
        _hit("petition-1", "2025-09-10", "More than 6,800 people had signed a petition after the event."),
        _hit("petition-2", "2025-09-11", "More than 6,000 people had signed a petition after the event."),
        _hit("rally-1", "2025-09-10", "Kirk was speaking to a crowd of over 3,000 people at the event."),
        _hit("rally-2", "2025-09-11", "Kirk was shot in front of some 3,000 people at the event."),
    ]
    found = ranked("people at the event", hits, need_value=True, asked=question)
    picks = {p.source.article.id: p for p in found}
    scores = {"petition-1": 0.5, "petition-2": 0.45, "rally-1": 0.3, "rally-2": 0.3}
    reports = [replace(picks[article], score=score) for article, score in scores.items()]
    cross = cross_question(question)
    assert cross is not None
    pair = pair_reports(cross, reports, date(2025, 9, 12), None)
    assert pair is not None
    assert [p.source.article.id for p in pair] == ["rally-1", "rally-2"]
