"""Does a sentence support a claim? The claim's key words (the names and values it adds to the
question) must all be in it: the one rule behind quote choice, the unsupported-claim check and the
quote-support figure of `qa eval`. Values (dates, numbers, amounts, percentages) match by what they
mean, not how they are written: "July 4, 1776" is "4 July 1776", "eighty" is "80".
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from qa.text.markers import strip_markers
from qa.text.sentences import sentences
from qa.text.values import blank, find_values, stated_words
from qa.text.words import keyword_tokens

# Quantifiers that open a sentence with a capital but never name anything ("Many Brazilians ..."); the
# other common sentence openers ("The", "Most", "Some") are stop words already.
_NEVER_NAMES = frozenset("many several every another various numerous".split())
# A word that starts with a capital or a digit: a name ("Hamlin", "Bills", "XVI") or a number ("900").
_NAME_OR_NUMBER = re.compile(r"\b[^\W_a-z][\w'’.-]*", re.UNICODE)


@dataclass(frozen=True)
class _Piece:
    """A name or a value of a claim sentence, with the key words it gives."""

    start: int
    end: int
    words: set[str]
    ordinary_opener: bool  # capitalised only because it opens the sentence, perhaps ("Officials", "Two")


def key_words(claim: str, question: str = "") -> set[str]:
    """The names and values of `claim` that the question does not already state (folded for matching)."""
    return set(_key_words(claim, question))


# A claim is checked against every sentence of every source, and a source sentence against every claim:
# each is read once (reading values takes a fraction of a millisecond a sentence).
@functools.lru_cache(maxsize=1024)
def _key_words(claim: str, question: str) -> frozenset[str]:
    asked = stated_words(question)
    words: set[str] = set()
    for sentence in sentences(strip_markers(claim)):
        pieces = _pieces(sentence, asked)
        # A sentence's first word is capitalised anyway ("Officials said ..."): it counts as a name only
        # as part of a longer one ("Buffalo Bills won") or when the sentence has no other ("Brazil [1].").
        opens_a_name = len(pieces) > 1 and pieces[1].start == pieces[0].end + 1
        opener = pieces[0] if pieces and pieces[0].start == 0 and pieces[0].ordinary_opener else None
        if opener and not opens_a_name and any(piece.words for piece in pieces[1:]):
            pieces = pieces[1:]
        for piece in pieces:
            words |= piece.words
    return frozenset(words - _NEVER_NAMES)


def missing_key_words(claim: str, sentence: str, question: str = "") -> set[str]:
    """The key words of `claim` that `sentence` does not state (empty: the sentence supports it)."""
    return key_words(claim, question) - stated_words(sentence)


def supports(sentence: str, claim: str, question: str = "") -> bool:
    """Does `sentence` state every name and value that `claim` adds to the question?"""
    return not missing_key_words(claim, sentence, question)


def _pieces(sentence: str, asked: frozenset[str]) -> list[_Piece]:
    """The names and values of one claim sentence, in order, less what the question states.

    A small number in words ("two officers", "the first time") is ordinary prose more often than a
    figure: in lower case it is no key word, as no lower-case word is; capitalised, it is one like a name.
    """
    values = find_values(sentence)
    pieces = [
        _Piece(value.start, value.end, {value.key} - asked, ordinary_opener=value.plain)
        for value in values
        if not value.plain or sentence[value.start].isupper()
    ]
    for match in _NAME_OR_NUMBER.finditer(blank(sentence, values)):
        pieces.append(_Piece(match.start(), match.end(), set(keyword_tokens(match.group())) - asked, True))
    return sorted(pieces, key=lambda piece: piece.start)
