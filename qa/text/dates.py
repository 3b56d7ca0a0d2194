"""The one date parser: any date a file or feed may carry, and the strict YYYY-MM-DD a person types."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from qa.errors import InvalidDateError, quoted

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATE_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[T\s])")
_TIMESTAMP = re.compile(r"\d{10}(?:\.\d+)?|\d{13}")
_EARLIEST_YEAR, _LATEST_YEAR = 1800, 2200
# The days a question may be asked on: far enough from the calendar's ends for any time word's period.
_EARLIEST_AS_OF, _LATEST_AS_OF = date(1900, 1, 1), date(2999, 12, 31)
# Two defaults that differ in year, month and day: a part the text lacks shows up as a difference.
_DEFAULTS = (datetime(1904, 1, 1), datetime(1908, 2, 2))


def iso_date(value: Any) -> str | None:
    """An ISO `YYYY-MM-DD` date for a parseable date, datetime, timestamp or date text, else None."""
    day = parse_date(value)
    return day.isoformat() if day is not None else None


def parse_date(value: Any) -> date | None:
    """The calendar day of a date, datetime, Unix timestamp or date text; None when there is none."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime | date):
        return _plausible(value.year, value.month, value.day)
    if isinstance(value, int | float):
        return _from_timestamp(float(value))
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    # The date part as written, not converted to UTC: a story dated 23:30 in New York is that day's.
    match = _ISO_DATE_PREFIX.match(text)
    if match:
        return _plausible(int(match[1]), int(match[2]), int(match[3]))
    if _TIMESTAMP.fullmatch(text):
        return _from_timestamp(float(text))
    try:
        return _from_datetime(parsedate_to_datetime(text))  # RFC 2822, as in RSS feeds
    except (TypeError, ValueError, IndexError):
        pass
    return _free_form(text)


def parse_day(text: str) -> date:
    """A strict `YYYY-MM-DD` day, as people type date bounds; ValueError says what is wrong."""
    if not _ISO_DAY.fullmatch(text):
        raise ValueError("must be a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"is not a real date ({exc})") from None


def day_number(day: date) -> int:
    """The day as the integer YYYYMMDD, which sorts like the date (for stores that filter numbers)."""
    return day.year * 10000 + day.month * 100 + day.day


def from_day_number(number: int) -> date:
    """The date of a YYYYMMDD integer (the inverse of `day_number`)."""
    return date(number // 10000, number // 100 % 100, number % 100)


def check_day(text: str, label: str) -> date:
    """`parse_day` with the field's `label` in the error, as an InvalidDateError."""
    try:
        return parse_day(text)
    except ValueError as exc:
        raise InvalidDateError(f"{label} {exc}, not {quoted(text)}") from None


def check_as_of(day: date) -> date:
    """`day` if a question can be asked on it (years 1900-2999), else InvalidDateError: "this week" or
    "yesterday" near the ends of the calendar would run past them."""
    if not _EARLIEST_AS_OF <= day <= _LATEST_AS_OF:
        raise InvalidDateError(
            f"the day the question is asked on (as of) must be from {_EARLIEST_AS_OF} to {_LATEST_AS_OF}, "
            f"not {day}"
        )
    return day


def _free_form(text: str) -> date | None:
    """ "January 5, 2023", "Jan. 5th, 2023", "5 January 2023": only when year, month and day are all there."""
    from dateutil import parser

    try:
        first, second = (parser.parse(text, default=default) for default in _DEFAULTS)
    except (ValueError, OverflowError):
        return None
    if first.date() != second.date():
        return None  # a part was missing ("January 2023", "Monday"): no day to speak of
    return _from_datetime(first)


def _from_timestamp(seconds: float) -> date | None:
    """A Unix timestamp in seconds (or milliseconds) as a UTC date."""
    if seconds > 1e11:  # milliseconds
        seconds /= 1000
    try:
        return _from_datetime(datetime.fromtimestamp(seconds, tz=UTC))
    except (OverflowError, OSError, ValueError):
        return None


def _from_datetime(value: datetime) -> date | None:
    return _plausible(value.year, value.month, value.day)


def _plausible(year: int, month: int, day: int) -> date | None:
    """The date if it is a real calendar date in a plausible range for news, else None."""
    if not _EARLIEST_YEAR <= year <= _LATEST_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None
