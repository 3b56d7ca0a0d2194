"""Does a sentence support a claim? The claim's key words (the names and numbers it adds to the
question) must all be in it: the one rule behind quote choice, the unsupported-claim check and the
quote-support figure of `qa eval`.
"""

from __future__ import annotations

import re

from qa.text.markers import strip_markers
from qa.text.sentences import sentences
from qa.text.words import keyword_tokens

# Quantifiers that open a sentence with a capital but never name anything ("Many Brazilians ..."); the
# other common sentence openers ("The", "Most", "Some") are stop words already.
_NEVER_NAMES = frozenset("many several every another various numerous".split())
# A word that starts with a capital or a digit: a name ("Hamlin", "Bills", "XVI") or a number ("900").
_NAME_OR_NUMBER = re.compile(r"\b[^\W_a-z][\w'’.-]*", re.UNICODE)


def key_words(claim: str, question: str = "") -> set[str]:
    """The names and numbers of `claim` that the question does not already name (folded for matching)."""
    asked = set(keyword_tokens(question))
    words: set[str] = set()
    for sentence in sentences(strip_markers(claim)):
        found = [match for match in _NAME_OR_NUMBER.finditer(sentence)]
        names = [set(keyword_tokens(match.group())) - asked for match in found]
        # A sentence's first word is capitalised anyway ("Officials said ..."): it counts as a name only
        # as part of a longer one ("Buffalo Bills won") or when the sentence has no other ("Brazil [1].").
        opens_a_name = len(found) > 1 and found[1].start() == found[0].end() + 1
        if len(found) > 1 and found[0].start() == 0 and not opens_a_name and any(names[1:]):
            names = names[1:]
        for group in names:
            words |= group
    return words - _NEVER_NAMES


def missing_key_words(claim: str, sentence: str, question: str = "") -> set[str]:
    """The key words of `claim` that `sentence` does not contain (empty: the sentence supports it)."""
    return key_words(claim, question) - set(keyword_tokens(sentence))


def supports(sentence: str, claim: str, question: str = "") -> bool:
    """Does `sentence` contain every name and number that `claim` adds to the question?"""
    return not missing_key_words(claim, sentence, question)
