"""The figure a question across articles asks for, read from a sentence: the kind asked (an amount, an
age, a year, a count) nearest the question's words, never a date, a time of day or prose ("one of")."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from qa.text.values import Value, find_values

_MONEY = re.compile(
    r"[$€£¥]|\b(?:jackpot|cash|price|cost|costs|cheaper|paid|payment|settlement|amount|worth)\b", re.I
)
_PROSE_NUMBERS = frozenset({"one", "first", "a", "an"})  # "one of the latest", "her first nomination"
_TIME_OF_DAY = re.compile(r"\s*(?::\d\d|a\.?m\.?|p\.?m\.?)", re.I)  # "9:34", "9 a.m.": a time, not a figure
_ASKS_AGE = re.compile(r"\bhow old\b|\bolder\b|\byounger\b|\bages?\b", re.I)
_AGE_BEFORE = re.compile(r"\b(?:age of|aged|died at|dies at|at age)\s*$", re.I)
_AGE_AFTER = re.compile(r"[\s-]*years?[\s-]*old\b", re.I)
_YEAR_ASKED = ("what year", "which year", "in what year")


def asked_value(sentence: str, question: str, weights: dict[str, float]) -> Value | None:
    """The figure in `sentence` the question asks for: of its values not already in the question (not a
    date, not a year unless a year is asked), the one nearest the question's words."""
    in_question = {v.key for v in find_values(question)}
    asks_year = any(p in question.lower() for p in _YEAR_ASKED)
    asks_money = bool(_MONEY.search(question))
    values = [
        v
        for v in find_values(sentence)
        if "-" not in v.key
        and v.key not in in_question
        and _is_year(v) == asks_year
        and (not asks_money or v.key[:1] in "$€£¥")
        and sentence[v.start : v.end].lower() not in _PROSE_NUMBERS
        and not _TIME_OF_DAY.match(sentence, v.end)
    ]
    if _ASKS_AGE.search(question):
        values = [
            v for v in values if _AGE_BEFORE.search(sentence[: v.start]) or _AGE_AFTER.match(sentence, v.end)
        ]
    if any(not v.plain for v in values):
        values = [v for v in values if not v.plain]  # "six" counts only where no figure is written
    if not values:
        return None
    lowered = sentence.lower()
    marks = [i for w in weights for i in _positions(lowered, w)]

    def distance(value: Value) -> int:
        return min((min(abs(m - value.start), abs(m - value.end)) for m in marks), default=0)

    return min(values, key=distance)


def _positions(text: str, word: str) -> list[int]:
    found, at = [], text.find(word)
    while at >= 0:
        found.append(at)
        at = text.find(word, at + 1)
    return found


def _is_year(value: Value) -> bool:
    return value.key.isdigit() and len(value.key) == 4 and 1900 <= int(value.key) <= 2100


def amount(value: Value | None) -> Decimal | None:
    """The value as a number to compare ("$4.2 million" -> 4200000; None: no value)."""
    if value is None:
        return None
    try:
        return Decimal(value.key.lstrip("$€£¥").rstrip("%"))
    except InvalidOperation:
        return None


def difference(value: Value | None, a: Decimal, b: Decimal) -> str:
    """How far apart `a` and `b` are, written in `value`'s unit ("$200", "39")."""
    gap = abs(a - b)
    sign = value.key[0] if value and value.key[:1] in "$€£¥" else ""
    unit = "%" if value and value.key.endswith("%") else ""
    return (
        f"{sign}{gap:,f}{unit}".replace(".0,", ",")
        if gap != gap.to_integral()
        else f"{sign}{int(gap):,}{unit}"
    )
