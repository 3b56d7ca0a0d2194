"""Numbers as prose writes them: "80", "80th", "1,500,000", "1.5 million", "1.5m", "eighty", "eightieth",
"three thousand", "one and a half million", each read to its value."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

# One token of a number or an amount: a currency sign, digits (with an ordinal or a scale ending:
# "80th", "1.5m", "4bn"), a percent sign or a word. Digits inside a word ("5G", "B52") are no number.
_TOKEN = re.compile(
    r"(?P<sign>US\$|(?:AU|CA|NZ|HK|[ACS])\$|[$€£¥])"
    r"|(?<![\w.,])(?P<digits>\d+(?:[.,]\d+)*)(?P<suffix>st|nd|rd|th|k|mn|m|bn|b|tn)?(?!\w)"
    r"|(?P<percent>%)"
    r"|(?P<word>[^\W\d_]+)",
    re.IGNORECASE,
)
_JOINED = re.compile(r"\s*-?\s*")  # what may stand between two tokens of one number ("twenty-five")
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")  # "1,500,000.5", "1500000.5"

_UNIT_WORDS = """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen
    fifteen sixteen seventeen eighteen nineteen""".split()
_ORDINAL_UNIT_WORDS = """zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh
    twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth""".split()
_TENS_WORDS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINAL_TENS_WORDS = "twentieth thirtieth fortieth fiftieth sixtieth seventieth eightieth ninetieth".split()
_SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_SUFFIX_SCALES = {"k": 10**3, "m": 10**6, "mn": 10**6, "b": 10**9, "bn": 10**9, "tn": 10**12}
# Scale words after digits: "1.5 million", "3 hundred", "4.2 bn" (not "5 m" or "5 k": metres, or a label).
_SCALE_WORDS = _SCALES | {"hundred": 100, "mn": 10**6, "bn": 10**9, "tn": 10**12}
_ORDINAL_SUFFIXES = frozenset({"st", "nd", "rd", "th"})

# word -> (value, kind, ordinal); kinds: "unit" (0-19), "tens" (20-90), "hundred", "scale"
_WORDS: dict[str, tuple[int, str, bool]] = {}
for _n, (_word, _ordinal) in enumerate(zip(_UNIT_WORDS, _ORDINAL_UNIT_WORDS, strict=True)):
    _WORDS |= {_word: (_n, "unit", False), _ordinal: (_n, "unit", True)}
for _n, (_word, _ordinal) in enumerate(zip(_TENS_WORDS, _ORDINAL_TENS_WORDS, strict=True), start=2):
    _WORDS |= {_word: (10 * _n, "tens", False), _ordinal: (10 * _n, "tens", True)}
_WORDS |= {"hundred": (100, "hundred", False), "hundredth": (100, "hundred", True)}
for _word, _scale in _SCALES.items():
    _WORDS |= {_word: (_scale, "scale", False), _word + "th": (_scale, "scale", True)}
# The words a number in words may start with ("a million", "half a million"), and all its words.
_OPENERS = frozenset(_WORDS) | {"a", "half"}
NUMBER_WORDS = _OPENERS | {"and"} | frozenset(_SCALE_WORDS)
# What each kind of number word may follow ("twenty five", "five hundred", "three thousand").
_MAY_FOLLOW: dict[str, set[str | None]] = {
    "unit": {None, "hundred", "scale"},
    "tens": {None, "hundred", "scale"},
    "hundred": {"unit", "tens", "a"},
    "scale": {"unit", "tens", "hundred", "a"},
}


class Token(NamedTuple):
    """One token of a number or an amount, lower-cased, with its span in the text."""

    text: str
    kind: str  # "sign", "digits", "percent" or "word"
    suffix: str  # the ending of digits: "th", "m", "bn", ... or ""
    start: int
    end: int
    joined: bool  # only a space or a hyphen between it and the token before


@dataclass(frozen=True)
class Number:
    """A number read from tokens: its value, the index of the token after it, and how it was written."""

    value: Decimal
    end: int
    ordinal: bool
    spelled: bool  # in words only


def number_tokens(text: str, words: frozenset[str]) -> list[Token]:
    """The tokens of `text` that numbers and amounts are read from, of its words only those in `words`
    (lower case): any other word stands between tokens, so that nothing is joined across it."""
    tokens: list[Token] = []
    previous_end = None
    for match in _TOKEN.finditer(text):
        start, end = match.span()
        kind = match.lastgroup or ""
        if kind == "word" and match.group().lower() not in words:
            continue
        suffix = ""
        if kind in ("digits", "suffix"):
            kind, suffix = "digits", (match.group("suffix") or "").lower()
        joined = previous_end is not None and _JOINED.fullmatch(text, previous_end, start) is not None
        tokens.append(Token(match.group(kind).lower(), kind, suffix, start, end, joined))
        previous_end = end
    return tokens


def number_at(tokens: list[Token], at: int) -> Number | None:
    """The number that starts at token `at` ("1.5 million", "eightieth"), or None."""
    token = tokens[at]
    if token.kind == "word":
        return _spelled_at(tokens, at)
    if token.kind != "digits" or not _GROUPED.fullmatch(token.text):
        return None  # "1,2" or "1.2.3": a list or a version, not a number
    value = Decimal(token.text.replace(",", ""))
    if token.suffix in _ORDINAL_SUFFIXES:
        return Number(value, at + 1, ordinal=True, spelled=False)
    if token.suffix:
        return Number(value * _SUFFIX_SCALES[token.suffix], at + 1, ordinal=False, spelled=False)
    after = tokens[at + 1] if at + 1 < len(tokens) else None
    if after is not None and after.joined and after.kind == "word" and after.text in _SCALE_WORDS:
        return Number(value * _SCALE_WORDS[after.text], at + 2, ordinal=False, spelled=False)
    return Number(value, at + 1, ordinal=False, spelled=False)


def _spelled_at(tokens: list[Token], at: int) -> Number | None:
    """A number in words: "twenty-five", "three hundred and two", "a million", "one and a half million"."""
    if tokens[at].text not in _OPENERS:
        return None
    words = [tokens[at].text]
    for token in tokens[at + 1 : at + 16]:
        if not token.joined or token.kind != "word":
            break
        words.append(token.text)
    read = _read_words(words)
    if read is None:
        return None
    value, used, ordinal = read
    return Number(value, at + used, ordinal, spelled=True)


def _read_words(words: list[str]) -> tuple[Decimal, int, bool] | None:
    """The number the first of `words` spell, how many words it takes, and whether it is an ordinal."""
    total, current, last, used, i = Decimal(0), Decimal(0), None, 0, 0
    if words[0] == "a" and words[1:2] and (words[1] == "hundred" or words[1] in _SCALES):
        current, last, i = Decimal(1), "a", 1
    elif words[:1] == ["half"] and words[1:2] == ["a"] and words[2:3] and words[2] in _SCALES:
        current, last, i = Decimal("0.5"), "a", 2
    while i < len(words):
        word = words[i]
        if word == "and" and last in ("hundred", "scale") and words[i + 1 : i + 2]:
            i += 1  # "three hundred and two": the "and" belongs only if a number word follows
            word = words[i]
        elif word == "and" and words[i + 1 : i + 3] == ["a", "half"] and last in ("unit", "tens"):
            current, i = current + Decimal("0.5"), i + 3  # "one and a half (million)"
            used = i
            continue
        if word not in _WORDS:
            break
        value, kind, ordinal = _WORDS[word]
        if last not in _MAY_FOLLOW[kind] and not (kind == "unit" and last == "tens" and value < 10):
            break
        if kind == "hundred":
            current = current * value
        elif kind == "scale":
            total, current = total + current * value, Decimal(0)
        else:
            current += value
        last, i = kind, i + 1
        used = i
        if ordinal:
            return total + current, used, True
    if used == 0 or last == "a":
        return None
    return total + current, used, False
