"""The shared text tools: one sentence splitter, one tokenizer, one marker syntax, one date parser."""

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
from qa.text.sentences import sentences, split_sentences
from qa.text.words import FUNCTION_WORDS, STOP_WORDS, content_words, fold_accents, same_word, tokens

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
