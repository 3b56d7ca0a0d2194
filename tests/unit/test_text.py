"""The shared text tools: one sentence splitter, one tokenizer, one marker syntax, one date parser, one
reader of the values (dates, numbers, amounts) that prose writes."""

from __future__ import annotations

import logging
import threading
from datetime import date

import pytest

from qa.documents import ArticleInfo, DateRange, SearchFilter
from qa.errors import InvalidDateError
from qa.loaders.base import quiet_library_logs
from qa.text.dates import day_number, parse_day
from qa.text.markers import cited_numbers, marker_numbers, strip_markers, strip_trailing_markers
from qa.text.sentences import narrated, sentences, split_sentences, without_dateline
from qa.text.values import find_values
from qa.text.words import FUNCTION_WORDS, STOP_WORDS, content_words, fold_accents, same_word, tokens
from qa.text.written_dates import find_dates, typed_months

pytestmark = pytest.mark.unit


def test_sentences_split_at_terminal_punctuation_and_newlines() -> None:
    text = 'He said: "It works." Then he left! Did he?\nNew paragraph here'
    assert sentences(text) == ['He said: "It works."', "Then he left!", "Did he?", "New paragraph here"]


def test_abbreviations_and_initials_do_not_endsentences() -> None:
    text = "Mr. Smith met U.S. officials on Jan. 5 in Washington. J. Doe was there. It ended."
    assert sentences(text) == [
        "Mr. Smith met U.S. officials on Jan. 5 in Washington.",
        "J. Doe was there.",
        "It ended.",
    ]


def test_decimal_numbers_do_not_endsentences() -> None:
    assert sentences("It plans 1.5 million stations. Next one.") == [
        "It plans 1.5 million stations.",
        "Next one.",
    ]


def test_sentence_spans_point_into_the_text() -> None:
    text = "  First one.  Second one.\n\nThird"
    assert [text[s:e] for s, e in split_sentences(text)] == ["First one.", "Second one.", "Third"]


def test_tokens_and_content_words() -> None:
    assert tokens("Huawei's 5G base-stations in Zürich") == [
        "huawei",
        "s",
        "5g",
        "base",
        "stations",
        "in",
        "zürich",
    ]
    assert content_words("The prices of the stations, he said") == {"price", "station"}
    assert FUNCTION_WORDS < STOP_WORDS
    assert fold_accents("Pelé") == "Pele"
    assert same_word("country", "countries") and same_word("box", "boxes") and not same_word("a", "as")


def test_markers() -> None:
    assert marker_numbers("[Source 2]") == [2] and marker_numbers("[1 and 3]") == [1, 3]
    assert marker_numbers("[sic]") == []
    assert cited_numbers("A [1]. B [2][1].") == [1, 2, 1]
    assert strip_markers("About 5,000 a month [1][2].") == "About 5,000 a month."
    assert strip_trailing_markers("next year [1][2] ") == "next year"


def test_typed_days_are_strict() -> None:
    assert parse_day("2023-01-31") == date(2023, 1, 31)
    for text in ("2023-1-31", "31/01/2023", "2023-01-31T10:00", " 2023-01-31"):
        with pytest.raises(ValueError, match="YYYY-MM-DD"):
            parse_day(text)
    with pytest.raises(ValueError, match="not a real date"):
        parse_day("2023-02-29")
    assert day_number(date(2023, 1, 5)) == 20230105


def test_a_date_range_includes_its_ends_and_never_an_undated_article() -> None:
    dates = DateRange.parse("2023-01-01", "2023-01-31")
    assert dates is not None and str(dates) == "2023-01-01 – 2023-01-31"
    assert dates.includes("2023-01-01") and dates.includes("2023-01-31") and not dates.includes("2023-02-01")
    assert not dates.includes(None) and not dates.includes("not a date")
    open_ended = DateRange.parse(None, "2023-01-31")
    assert (
        open_ended is not None and open_ended.includes("1999-12-31") and str(open_ended) == "… – 2023-01-31"
    )
    with pytest.raises(InvalidDateError):
        DateRange(date(2023, 2, 1), date(2023, 1, 1))
    dated = ArticleInfo(id="a", title="t", published="2023-01-05")
    assert SearchFilter(published=dates).matches(dated) and SearchFilter().matches(
        ArticleInfo(id="b", title="t")
    )


def test_quieting_a_library_log_is_safe_across_threads() -> None:
    logger = logging.getLogger("qa-test-library")
    logger.setLevel(logging.INFO)
    inside = threading.Barrier(2)

    def parse() -> None:
        with quiet_library_logs("qa-test-library"):
            inside.wait()  # both threads are inside at once
            assert logger.level == logging.CRITICAL
            inside.wait()

    threads = [threading.Thread(target=parse) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert logger.level == logging.INFO  # whatever the order they left in, the level it had is back


def _keys(text: str) -> list[str]:
    return [value.key for value in find_values(text)]


# Each row: the written forms of one value, and its canonical form.
@pytest.mark.parametrize(
    ("forms", "key"),
    [
        (
            [
                "July 4, 1776",
                "4 July 1776",
                "1776-07-04",
                "July 4th, 1776",
                "Jul. 4 1776",
                "4th of July, 1776",
                "the Fourth of July 1776",
            ],
            "1776-07-04",
        ),
        (["Sept. 11, 2001", "11 September 2001", "2001-09-11"], "2001-09-11"),
        (["July 4", "4 July", "July 4th", "the Fourth of July"], "--07-04"),
        (["July 1776", "July of 1776"], "1776-07"),
        (["80", "80th", "eighty", "eightieth"], "80"),
        (["21", "21st", "twenty-one", "twenty-first", "twenty one"], "21"),
        (["99", "ninety-nine"], "99"),
        (["302", "three hundred and two", "three hundred two"], "302"),
        (["3,000", "3000", "three thousand", "3 thousand", "3k"], "3000"),
        (["1,500,000", "1500000", "1.5 million", "1.5m", "1.5 mn", "one and a half million"], "1500000"),
        (["500,000", "half a million", "five hundred thousand"], "500000"),
        (["1,000,000", "a million", "one million"], "1000000"),
        (["2,500,000,000", "2.5 billion", "2.5bn", "2.5 bn"], "2500000000"),
        (["$4", "4 dollars", "four dollars", "US$4", "4 US dollars", "USD 4"], "$4"),
        (["$4.2 million", "4.2 million dollars", "$4.2m", "US$4,200,000"], "$4200000"),
        (["€5", "5 euros", "five euros", "EUR 5"], "€5"),
        (["£3", "3 pounds"], "£3"),
        (["12%", "12 percent", "12 per cent", "twelve per cent", "twelve percent"], "12%"),
        (["1.5%", "1.50 percent"], "1.5%"),
    ],
)
def test_each_written_form_of_a_value_reads_to_one_canonical_form(forms: list[str], key: str) -> None:
    for form in forms:
        assert _keys(f"It was {form} in the end.") == [key], form


def test_a_date_states_its_year_month_and_day_a_number_or_amount_its_number() -> None:
    (day,) = find_values("on July 4, 1776")
    assert day.states == {"1776-07-04", "--07-04", "1776-07", "1776", "july"}
    (month,) = find_values("in July 1776")
    assert month.states == {"1776-07", "1776", "july"}
    (amount,) = find_values("$4.2 million")
    assert amount.states == {"$4200000", "4200000"}
    (share,) = find_values("12 per cent")
    assert share.states == {"12%", "12"}


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("1.5 million and 15 million", ["1500000", "15000000"]),
        ("July 4, 1776 and July 4, 1777", ["1776-07-04", "1777-07-04"]),
        ("$4 and €4 and 4% and 4", ["$4", "€4", "4%", "4"]),
        ("on 4 July, 10 people died", ["--07-04", "10"]),
        ("5G phones, a B52, version 1.2.3, pages 1,2", []),  # digits inside words or lists are no values
        ("COVID-19 in the 2019-20 season", ["19", "2019", "20"]),
        ("hundreds of thousands of people", []),  # no count: no number
        ("they may march on February 30", ["30"]),  # lower-case "may", "march"; no such day
        ("two, three and four", ["2", "3", "4"]),
    ],
)
def test_values_are_told_apart(text: str, keys: list[str]) -> None:
    assert _keys(text) == keys


def test_small_numbers_in_words_are_marked_plain_and_the_spans_point_into_the_text() -> None:
    text = "The first two officers saw 12 cars on July 4."
    values = find_values(text)
    assert [(text[v.start : v.end], v.key, v.plain) for v in values] == [
        ("first", "1", True),
        ("two", "2", True),
        ("12", "12", False),
        ("July 4", "--07-04", False),
    ]


@pytest.mark.parametrize(
    ("sentence", "narration"),
    [
        ("“We will win,” he said on Tuesday.", " " * 14 + " he said on Tuesday."),
        ('A "brutal" storm hit the coast.', "A " + " " * 8 + " storm hit the coast."),
        # A sentence cut from a longer quotation: one quote mark closes it, or opens it.
        ('Check your ticket," the director said.', " " * 19 + " the director said."),
        ("So check your ticket,” the director said.", " " * 22 + " the director said."),
        ("He wrote: “the probabilities tell you", "He wrote: " + " " * 27),
        ("Nobody is quoted here.", "Nobody is quoted here."),
    ],
)
def test_narration_is_the_text_outside_quotations_in_its_place(sentence: str, narration: str) -> None:
    # Quoted words become spaces, so what is found in the narration has its place in the sentence.
    assert narrated(sentence) == narration
    assert len(narration) == len(sentence)


def test_months_typed_in_lower_case_are_read_where_a_day_or_year_follows() -> None:
    typed = typed_months("the clarion's nov 20 story, in may 2025, between the march and the vote")
    assert typed == "the clarion's Nov 20 story, in May 2025, between the march and the vote"
    assert [d.key for d in find_dates(typed)] == ["--11-20", "2025-05"]


@pytest.mark.parametrize(
    ("sentence", "read"),
    [
        (
            "TELLBRIDGE (Tellbridge Clarion) — About 21,400 households were told.",
            "About 21,400 households were told.",
        ),
        ("WASHINGTON ― President Donald Trump said so.", "President Donald Trump said so."),
        ("NASA - the agency said so.", "NASA - the agency said so."),  # a dash in prose, no dateline
        ("US officials said so on Monday.", "US officials said so on Monday."),
    ],
)
def test_a_reports_dateline_is_not_part_of_its_first_sentence(sentence: str, read: str) -> None:
    assert without_dateline(sentence) == read
