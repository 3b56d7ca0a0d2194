"""Values written in text (dates, numbers, ordinals, amounts, percentages), each with one canonical form,
so that "July 4, 1776" and "4 July 1776", "80th" and "eighty", "$4.2 million" and "4.2m dollars" match.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal

from qa.text.numbers import NUMBER_WORDS, Number, Token, number_at, number_tokens
from qa.text.words import keyword_tokens
from qa.text.written_dates import find_dates


@dataclass(frozen=True)
class Value:
    """One value in a text: where it is, its canonical form, and every form it states."""

    start: int
    end: int
    key: str  # "1776-07-04", "--07-04" (a day of a month), "1776-07", "1500000", "$4200000", "12%"
    states: frozenset[str]  # the key and what it implies: a date its year and month, an amount its number
    plain: bool  # a number under ten in words ("two", "second"): as often ordinary prose as a figure


# A currency sign or code before the number: every dollar is "$" (a source seldom repeats "US").
_SIGNS = {"$": "$", "us$": "$", "a$": "$", "au$": "$", "c$": "$", "ca$": "$", "nz$": "$", "hk$": "$"}
_SIGNS |= {"s$": "$", "usd": "$", "€": "€", "eur": "€", "£": "£", "gbp": "£", "¥": "¥", "jpy": "¥"}
# A unit after the number: a currency word or code, or a percent.
_UNITS = {"dollar": "$", "dollars": "$", "euro": "€", "euros": "€", "pound": "£", "pounds": "£"}
_UNITS |= {"yen": "¥", "usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "percent": "%", "pct": "%"}
# The words a value may hold: any other word ends one.
_VALUE_WORDS = NUMBER_WORDS | frozenset(_SIGNS) | frozenset(_UNITS) | {"per", "cent", "us"}
_DATE_MASK = "|"  # stands in for a date's characters: it joins nothing, so no number runs into a date


def find_values(text: str) -> list[Value]:
    """The values written in `text`, in order: dates first, then numbers, amounts and percentages."""
    values = [Value(d.start, d.end, d.key, d.states, plain=False) for d in find_dates(text)]
    masked = blank(text, values, _DATE_MASK)
    tokens = number_tokens(masked, _VALUE_WORDS)
    at = 0
    while at < len(tokens):
        found = _value_at(tokens, at)
        if found is None:
            at += 1
            continue
        value, at = found
        values.append(value)
    return sorted(values, key=lambda value: value.start)


def blank(text: str, values: list[Value], mask: str = " ") -> str:
    """`text` with the characters of `values` replaced by `mask` (offsets kept)."""
    chars = list(text)
    for value in values:
        chars[value.start : value.end] = mask * (value.end - value.start)
    return "".join(chars)


def canonical_number(number: Decimal) -> str:
    """A number in one written form: plain digits, no grouping, no trailing zeros ("1.50e6" -> "1500000")."""
    return format(number.normalize(), "f")


def _value_at(tokens: list[Token], at: int) -> tuple[Value, int] | None:
    """The value that starts at token `at`, and the index of the token after it; None if none does."""
    sign = _SIGNS.get(tokens[at].text) if tokens[at].kind in ("sign", "word") else None
    first = at + 1 if sign and at + 1 < len(tokens) and tokens[at + 1].joined else at
    if sign and first == at:
        return None
    number = number_at(tokens, first)
    if number is None or (sign and number.spelled and tokens[at].kind == "word"):
        return None  # "EUR" before a word is no amount ("EUR one" is not how anyone writes it)
    end, unit = number.end, None
    if not sign and not number.ordinal:
        end, unit = _unit_after(tokens, end)
    return _value(tokens[at].start, tokens[end - 1].end, number, sign or unit), end


def _unit_after(tokens: list[Token], at: int) -> tuple[int, str | None]:
    """A currency or percent after a number: "%", "percent", "per cent", "dollars", "US dollars"."""
    following: list[str] = []
    for token in tokens[at : at + 2]:
        if not token.joined:
            break
        following.append(token.text)
    if following[:1] == ["%"]:
        return at + 1, "%"
    if following[:2] == ["per", "cent"]:
        return at + 2, "%"
    if following and following[0] in _UNITS:
        return at + 1, _UNITS[following[0]]
    if following[:1] == ["us"] and following[1:] and following[1] in ("dollar", "dollars"):
        return at + 2, "$"
    return at, None


def _value(start: int, end: int, number: Number, unit: str | None) -> Value:
    digits = canonical_number(number.value)
    key = digits + "%" if unit == "%" else f"{unit}{digits}" if unit else digits
    plain = number.spelled and unit is None and number.value < 10
    return Value(start, end, key, frozenset({key, digits}), plain)


@functools.lru_cache(maxsize=4096)
def stated_words(text: str) -> frozenset[str]:
    """What `text` states, in the forms key words take: its words folded, its values canonical.

    A value's own words are not stated apart from it: "4.2 million" states 4200000, not "4" or "2".
    """
    values = find_values(text)
    forms = {form for value in values for form in value.states}
    return frozenset(keyword_tokens(blank(text, values))) | forms
