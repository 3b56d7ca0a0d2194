"""Questions across articles (issue 22): each side found in its own article and cited, the comparison
computed in code, a side no article states said (the FAKE embedder and chat model where a desk is used)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import pytest

from qa.answer.across.answer import answer_across, fact_asked
from qa.answer.across.question import cross_question
from qa.documents import ArticleInfo, Chunk, ScoredChunk
from qa.results import AbstainReason
from qa.service import NewsDesk
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


def _hit(article_id: str, published: str, text: str, outlet: str | None = None) -> ScoredChunk:
    info = ArticleInfo(id=article_id, title=f"Report {article_id}", published=published, source=outlet)
    return ScoredChunk(Chunk(f"{article_id}#0", article_id, 0, text, 0, len(text)), info, 0.5)


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


def _answer(question: str) -> tuple[str, list[str]]:
    cross = cross_question(question)
    assert cross is not None
    answer = answer_across(cross, _search(ARTICLES), AS_OF)
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
        text
        == "No: CNN (2022-07-29) says $742.2 million [1]; USA Today (2022-07-29) says $747.2 million [2]."
    )
    assert sorted(cited) == ["lotto-1", "lotto-2"]
    same = [
        ARTICLES[6],
        _hit("lotto-3", "2022-07-30", "The Mega Millions cash option was $742.2 million.", "AP"),
    ]
    cross = cross_question("Did CNN and AP agree on the Mega Millions cash option?")
    assert cross is not None
    assert answer_across(cross, _search(same), AS_OF).text.startswith("Yes: both say $742.2 million [1] [2].")


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
    assert text.startswith("No: Harbour Gazette (2026-11-08) says 4,200 [1]; Northfield Times (2026-11-08)")
