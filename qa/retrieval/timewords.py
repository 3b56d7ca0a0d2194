"""Time words in a question, read against its reference date: "on Sunday", "this week", "in January 2023".

News questions say when as often as what. A question has a reference date (the chat: today or the "as
of" the reader sets; an evaluation: the question's date); its time words become the period they point
to, or a wish for the most recent news ("latest"); words that say how often ("each June", "every
Sunday", "annual") name no period. Retrieval uses that as a soft prior, not a filter: stories are
published a day or two after what they report, and dates in feeds are sometimes wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from qa.documents import DateRange

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = "january february march april may june july august september october november december".split()
_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10, "few": 3}

_WEEKDAY = re.compile(r"\b(?:(last|this|past|on)\s+)?(" + "|".join(_WEEKDAYS) + r")\b")
_MONTH = re.compile(r"\b(?:(last|this|in|since|during)\s+)?(" + "|".join(_MONTHS) + r")(?:\s+(\d{4}))?\b")
_YEAR = re.compile(r"\b(?:in|during|of|since)\s+((?:19|20)\d{2})\b")
_A_MONTH = r"(" + "|".join(_MONTHS) + r")(?:\s+((?:19|20)\d{2}))?"
# "from November 2022 to January 2023", "between October and December", "June through August 2025"
_MONTH_RANGE = re.compile(
    rf"\b(?:(?:from|between)\s+)?{_A_MONTH}\s*(?:to|through|until|till|and|-|–)\s*{_A_MONTH}\b"
)
_PAST_SPAN = re.compile(
    r"\b(?:past|last|previous)\s+(\d+|" + "|".join(_NUMBERS) + r")\s+(day|week|month)s?\b"
)
_RECENT = re.compile(
    r"\b(latest|most recent|most recently|recently|newest|currently|right now|so far|to date|as of now)\b",
    re.IGNORECASE,
)
# "May" is also a verb: only "in May", "last May", "May 2023" count as the month.
_AMBIGUOUS_MONTHS = {"may", "march"}
# Words that say how often, not when: "each June", "every Sunday", "on Sundays", "held annually in June",
# "the first Monday of every month". An annual event asked about a year later is not about last June:
# such phrases name no period, and are blanked before the time words are looked for.
_DAY_OF = r"(?:\s+\d{1,2}(?:st|nd|rd|th)?\b)?"  # "every June 14th"
# "June 2023" is one June, whatever comes before it.
_WHEN = r"(?:" + "|".join(_WEEKDAYS + tuple(_MONTHS)) + r")\b(?!\s+(?:19|20)\d{2}\b)" + _DAY_OF
_UNITS = r"(?:year|month|week|weekend|day|morning|night|spring|summer|autumn|fall|winter|season|quarter)s?\b"
_DAYS = "|".join(_WEEKDAYS)
_RECURRING = re.compile(
    r"\b(?:"
    + "|".join(
        (
            rf"(?:every|each)\s+(?:other\s+|single\s+)?(?:{_WHEN}|{_UNITS})(?:\s+(?:in|on|during)\s+{_WHEN})?",
            rf"(?:annually|annual|yearly|once\s+a\s+year)\b(?:\s+(?:in|on|during))?(?:\s+{_WHEN})?",
            rf"(?:first|second|third|fourth|fifth|last)\s+(?:{_DAYS})\s+(?:of|in)\s+(?:each|every)\s+month\b",
            rf"(?:on\s+)?(?:{_DAYS})s\b",  # "on Sundays"
        )
    )
    + ")"
)


@dataclass(frozen=True)
class TimeFocus:
    """When a question is about: a period (None when it names none), and whether it asks for the latest."""

    period: DateRange | None = None
    latest: bool = False
    phrase: str | None = None  # the words that set the period, for logs and reports

    def strip(self, question: str) -> str:
        """`question` without its time words: they say when, which the dates carry, not what to match."""
        if self.phrase:
            question = re.sub(re.escape(self.phrase), " ", question, flags=re.IGNORECASE)
        return _RECENT.sub(" ", question) if self.latest else question


# "Today" capitalised past a question's first word is a name ("USA Today's report", "the Today show"),
# not the day: read as a time word it made "Do CNN and USA Today agree…?" a question about one day.
_NAMED_TODAY = re.compile(r"(?<=\w)([\s'’]+)Today\b")


def time_focus(question: str, reference: date) -> TimeFocus:
    """The period `question`'s time words point to, read against `reference` (the day it is asked)."""
    text = _RECURRING.sub(" ", _NAMED_TODAY.sub(" ", question).lower())
    latest = bool(_RECENT.search(text))
    for finder in (_relative_day, _relative_span, _weekday, _month_range, _month, _year):
        found = finder(text, reference)
        if found is not None:
            phrase, start, end = found
            return TimeFocus(DateRange(start, end), latest, phrase)
    return TimeFocus(None, latest, None)


_Found = tuple[str, date, date] | None


def _relative_day(text: str, reference: date) -> _Found:
    if re.search(r"\b(today|tonight|this morning|this afternoon|this evening)\b", text):
        return "today", reference, reference
    if re.search(r"\byesterday\b", text):
        day = reference - timedelta(days=1)
        return "yesterday", day, day
    return None


def _relative_span(text: str, reference: date) -> _Found:
    match = _PAST_SPAN.search(text)
    if match:
        count = int(match.group(1)) if match.group(1).isdigit() else _NUMBERS[match.group(1)]
        days = count * {"day": 1, "week": 7, "month": 31}[match.group(2)]
        return match.group(0), reference - timedelta(days=days), reference
    spans = {
        "this weekend": _weekend(reference),
        # On a weekday the last weekend is the latest one; on a Saturday or Sunday, the one before.
        "last weekend": _weekend(reference - timedelta(days=7 if reference.weekday() >= 5 else 0)),
        # "This week" in a news quiz means the seven days up to the day it is asked.
        "this week": (reference - timedelta(days=6), reference),
        "last week": (reference - timedelta(days=13), reference - timedelta(days=6)),
        "past week": (reference - timedelta(days=7), reference),
        "this month": (reference.replace(day=1), reference),
        "last month": _previous_month(reference),
        "past month": (reference - timedelta(days=31), reference),
        "this year": (reference.replace(month=1, day=1), reference),
        "last year": (date(reference.year - 1, 1, 1), date(reference.year - 1, 12, 31)),
        "past year": (reference - timedelta(days=365), reference),
    }
    for phrase, (start, end) in spans.items():
        if re.search(r"\b" + phrase + r"\b", text):
            return phrase, start, end
    return None


def _weekday(text: str, reference: date) -> _Found:
    match = _WEEKDAY.search(text)
    if not match:
        return None
    back = (reference.weekday() - _WEEKDAYS.index(match.group(2))) % 7
    if match.group(1) == "last" and back == 0:
        back = 7
    day = reference - timedelta(days=back)  # the most recent such day, the reference day included
    return match.group(0), day, day


def _month(text: str, reference: date) -> _Found:
    for match in _MONTH.finditer(text):
        word, name, year = match.group(1), match.group(2), match.group(3)
        if name in _AMBIGUOUS_MONTHS and not (word or year):
            continue
        month = _MONTHS.index(name) + 1
        if year:
            first = date(int(year), month, 1)
        else:
            # The latest such month: "in January" asked in March is this year's, asked in December too;
            # "in March" asked in January is last year's.
            later = month > reference.month or (word == "last" and month == reference.month)
            first = date(reference.year - later, month, 1)
        last = _previous_month(first.replace(day=28) + timedelta(days=4))[1]
        return match.group(0), first, reference if word == "since" else last
    return None


def _month_range(text: str, reference: date) -> _Found:
    """ "from November 2022 to January 2023", "between October and December": the first month's first day
    to the last month's last day (a year left out is the other month's, else the latest such months)."""
    match = _MONTH_RANGE.search(text)
    if not match:
        return None
    first_month = _MONTHS.index(match.group(1)) + 1
    last_month = _MONTHS.index(match.group(3)) + 1
    first_year, last_year = match.group(2), match.group(4)
    if last_year:
        end_year = int(last_year)
    elif first_year:
        end_year = int(first_year) + (last_month < first_month)
    else:
        end_year = reference.year - (last_month > reference.month)
    start_year = int(first_year) if first_year else end_year - (first_month > last_month)
    first = date(start_year, first_month, 1)
    last = _previous_month(date(end_year, last_month, 28) + timedelta(days=4))[1]
    return (match.group(0), first, last) if first <= last else None


def _year(text: str, reference: date) -> _Found:
    match = _YEAR.search(text)
    if not match:
        return None
    year = int(match.group(1))
    end = reference if match.group(0).startswith("since") else date(year, 12, 31)
    return match.group(0), date(year, 1, 1), end


def _weekend(reference: date) -> tuple[date, date]:
    saturday = reference - timedelta(days=(reference.weekday() - 5) % 7)
    return saturday, saturday + timedelta(days=1)


def _previous_month(day: date) -> tuple[date, date]:
    last = day.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last
