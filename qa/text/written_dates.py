"""Dates as prose writes them ("July 4, 1776", "4 July 1776", "the Fourth of July", "1776-07-04",
"July 1776"), each in one canonical form. (`dates` reads the dates of files and feeds, not of prose.)"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

MONTH_NAMES = tuple(
    """January February March April May June July August September October November December""".split()
)
A_YEAR = re.compile(r"\b(?:19|20)\d\d\b")  # a year of the news written alone: "in 2024"
_ABBREVIATIONS = {"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "Jun": 6, "Jul": 7, "Aug": 8, "Sep": 9}
_ABBREVIATIONS |= {"Sept": 9, "Oct": 10, "Nov": 11, "Dec": 12}
_MONTHS = {name: n for n, name in enumerate(MONTH_NAMES, start=1)} | _ABBREVIATIONS
_DAY_WORDS = {
    word: n
    for n, word in enumerate(
        """first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth
        fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth twenty-first
        twenty-second twenty-third twenty-fourth twenty-fifth twenty-sixth twenty-seventh twenty-eighth
        twenty-ninth thirtieth thirty-first""".split(),
        start=1,
    )
}

# Month names only capitalised: "may" and "march" in lower case are verbs.
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b\.?"
_DAY = (
    r"(?:(?P<day>\d{1,2})(?:st|nd|rd|th)?\b|(?P<day_word>(?i:"
    + "|".join(sorted(_DAY_WORDS, key=len, reverse=True))
    + r"))\b)"
)
_YEAR = r"(?P<year>\d{4})(?![\w%]|[.,]\d)"
_NOT_INSIDE = r"(?<![\w$€£¥.,-])"  # a date starts a word: not "B52", "$4", "1.5" or "2019-20"
_NAMED = (
    re.compile(rf"{_NOT_INSIDE}{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?"),  # July 4, 1776; July 4th
    re.compile(rf"{_NOT_INSIDE}{_DAY}(?:\s+of)?\s+{_MONTH}(?:,?\s+{_YEAR})?"),  # 4 July 1776; 4th of July
    re.compile(rf"{_NOT_INSIDE}{_MONTH}(?:\s+of)?,?\s+{_YEAR}"),  # July 1776
)
_ANY_MONTH = re.compile(_MONTH)  # most sentences name no month: the patterns above need not run
_ISO = re.compile(
    rf"{_NOT_INSIDE}(?P<year>\d{{4}})-(?P<month>\d{{2}})-(?P<day>\d{{2}})(?![\w-])"
)  # 1776-07-04


@dataclass(frozen=True)
class WrittenDate:
    """A date in a text: its span, its canonical form and the forms it states.

    A whole date states its day of the month, its month of the year, its year and its month's name:
    "July 4, 1776" supports a claim that says "in 1776" or "on July 4".
    """

    start: int
    end: int
    key: str  # "1776-07-04", "--07-04" (a day of a month, no year) or "1776-07" (a month of a year)
    states: frozenset[str]


_TYPED_MONTH = re.compile(
    r"\b(" + "|".join(sorted((m.lower() for m in _MONTHS), key=len, reverse=True)) + r")\b(?=\.?\s+\d)"
)


def month_number(name: str) -> int:
    """The month a name or its short form names, 1 to 12 ("July", "Sept." -> 9)."""
    return _MONTHS[name.rstrip(".")]


def typed_months(question: str) -> str:
    """`question` with the months a reader typed in lower case capitalised where a day or a year follows
    ("the clarion's nov 20 story", "in may 2025"), so that `find_dates` reads them; "march" and "may"
    alone stay words. Offsets are kept."""
    return _TYPED_MONTH.sub(lambda m: m.group(1).capitalize(), question)


def find_dates(text: str) -> list[WrittenDate]:
    """The dates written in `text`, in order; the longest first where two overlap ("4 July 1776")."""
    patterns = (*_NAMED, _ISO) if _ANY_MONTH.search(text) else (_ISO,)
    found = [match for pattern in patterns for match in pattern.finditer(text)]
    found.sort(key=lambda match: (match.start() - match.end(), match.start()))
    dates: list[WrittenDate] = []
    for match in found:
        if any(match.start() < d.end and d.start < match.end() for d in dates):
            continue
        written = _read(match)
        if written is not None:
            dates.append(written)
    return sorted(dates, key=lambda d: d.start)


def _read(match: re.Match[str]) -> WrittenDate | None:
    """The date a pattern matched, or None when it is no calendar day ("February 30")."""
    groups = match.groupdict()
    month = int(groups["month"]) if groups["month"].isdigit() else _MONTHS[groups["month"]]
    day_word, day_digits = groups.get("day_word"), groups.get("day")
    day = _DAY_WORDS[day_word.lower()] if day_word else int(day_digits) if day_digits else None
    year = int(groups["year"]) if groups.get("year") else None
    try:
        date(year or 2000, month, day or 1)  # 2000 was a leap year: "February 29" is a day
    except ValueError:
        return None
    states = {MONTH_NAMES[month - 1].lower()}
    if day:
        states.add(f"--{month:02d}-{day:02d}")
    if year:
        states |= {str(year), f"{year:04d}-{month:02d}"}
    if year and day:
        key = f"{year:04d}-{month:02d}-{day:02d}"
    else:
        key = f"--{month:02d}-{day:02d}" if day else f"{year:04d}-{month:02d}"
    return WrittenDate(match.start(), match.end(), key, frozenset(states | {key}))
