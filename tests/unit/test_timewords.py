"""Time words read against fixed reference dates (qa.retrieval.timewords)."""

from __future__ import annotations

from datetime import date

import pytest

from qa.documents import DateRange
from qa.retrieval.timewords import time_focus

pytestmark = pytest.mark.unit

FRIDAY = date(2023, 1, 6)  # the day a weekly news quiz is published


def period(question: str, reference: date = FRIDAY) -> tuple[str | None, str | None] | None:
    focus = time_focus(question, reference)
    return (focus.period.since, focus.period.until) if focus.period else None


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Which team won on Sunday?", ("2023-01-01", "2023-01-01")),
        ("Who resigned on Friday?", ("2023-01-06", "2023-01-06")),  # the reference day itself
        ("Who resigned last Friday?", ("2022-12-30", "2022-12-30")),
        ("What did the Senate pass Tuesday?", ("2023-01-03", "2023-01-03")),
        ("Who was sworn in this week?", ("2022-12-31", "2023-01-06")),
        ("Which company laid off staff last week?", ("2022-12-24", "2022-12-31")),
        ("What happened this weekend?", ("2022-12-31", "2023-01-01")),
        ("What was announced today?", ("2023-01-06", "2023-01-06")),
        ("Who died yesterday?", ("2023-01-05", "2023-01-05")),
        ("Which country had the most rain last month?", ("2022-12-01", "2022-12-31")),
        ("How many storms so far this year?", ("2023-01-01", "2023-01-06")),
        ("Which film earned most last year?", ("2022-01-01", "2022-12-31")),
        ("Who won the election in January 2023?", ("2023-01-01", "2023-01-31")),
        ("What was the inflation rate in December?", ("2022-12-01", "2022-12-31")),  # the latest December
        ("Who won the World Cup in 2022?", ("2022-01-01", "2022-12-31")),
        ("What happened over the past 3 days?", ("2023-01-03", "2023-01-06")),
        ("Which stocks fell in the past two weeks?", ("2022-12-23", "2023-01-06")),
        # A span of months is the whole span, not its first month.
        ("How did the layoffs unfold from November 2022 to January 2023?", ("2022-11-01", "2023-01-31")),
        ("What happened between October and December?", ("2022-10-01", "2022-12-31")),
        ("How did it go from November through January?", ("2022-11-01", "2023-01-31")),
        ("How did sales go from June to August 2021?", ("2021-06-01", "2021-08-31")),
    ],
)
def test_time_words_become_periods(question: str, expected: tuple[str, str]) -> None:
    assert period(question) == expected


def test_this_month_and_this_week_follow_the_reference_date() -> None:
    assert period("Who led the charts this month?", date(2023, 3, 15)) == ("2023-03-01", "2023-03-15")
    assert period("Who led this week?", date(2023, 3, 15)) == ("2023-03-09", "2023-03-15")
    # "In January" asked in March 2024 is January 2024; "in March" asked in January, the year before.
    assert period("Who won in January?", date(2024, 3, 2)) == ("2024-01-01", "2024-01-31")
    assert period("Who won in March?", date(2024, 1, 2)) == ("2023-03-01", "2023-03-31")


@pytest.mark.parametrize("question", ["What is the latest iPhone?", "Who most recently won the Open?"])
def test_latest_asks_for_recent_news_without_a_period(question: str) -> None:
    focus = time_focus(question, FRIDAY)
    assert focus.latest and focus.period is None


@pytest.mark.parametrize(
    "question",
    [
        "Which country hosts the Winter Olympics?",
        "Who may lead the party?",  # "may" the verb is not the month
        "How many people march for climate?",
    ],
)
def test_questions_without_time_words_have_no_period(question: str) -> None:
    focus = time_focus(question, FRIDAY)
    assert focus.period is None and not focus.latest


@pytest.mark.parametrize(
    "question",
    [
        "Which annual celebration is observed across the US each June?",
        "Which festival takes place every June?",
        "What is celebrated every June 14th?",
        "Which holiday is held each year in June?",
        "What happens every year on the first day of spring?",
        "Which parade is held annually in March?",
        "Which race is run yearly?",
        "Which market opens every week?",
        "Which magazine appears each month?",
        "Which show airs every Sunday?",
        "Which shops close on Sundays?",
        "Which flowers bloom every spring?",
        "Which band plays each weekend?",
        "Which club meets the first Monday of every month?",
        "Which committee meets every other Tuesday?",
        "What is the annual June festival called?",
    ],
)
def test_recurring_phrases_name_no_period(question: str) -> None:
    # Asked a year later, "each June" is not about last June: how often is not when.
    assert period(question, date(2024, 7, 3)) is None
    assert period(question) is None


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Which annual festival opened this week?", ("2022-12-31", "2023-01-06")),
        ("Which yearly report came out last month?", ("2022-12-01", "2022-12-31")),
        ("Which band that plays every Sunday split up yesterday?", ("2023-01-05", "2023-01-05")),
        ("What did the annual June 2022 meeting decide?", ("2022-06-01", "2022-06-30")),  # one June
        ("Which monthly survey in December showed a fall?", ("2022-12-01", "2022-12-31")),
    ],
)
def test_a_real_time_word_beside_a_recurring_phrase_keeps_its_period(
    question: str, expected: tuple[str, str]
) -> None:
    assert period(question) == expected


def test_recurring_phrases_stay_in_the_words_searched() -> None:
    # "each June" says what the question is about (a June event), so keyword search keeps it.
    question = "Which annual festival each June opened this week?"
    assert time_focus(question, FRIDAY).strip(question) == "Which annual festival each June opened  ?"


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("Do CNN and USA Today agree on how old Benedict XVI was?", False),  # an outlet, not the day
        ("Which fire was larger in USA Today's reporting?", False),
        ("What did the mayor say today?", True),
        ("Today, who won the vote?", True),
    ],
)
def test_today_capitalised_inside_a_name_is_not_a_time_word(question: str, named: bool) -> None:
    focus = time_focus(question, date(2025, 8, 21))
    assert (focus.period == DateRange(date(2025, 8, 21), date(2025, 8, 21))) is named
