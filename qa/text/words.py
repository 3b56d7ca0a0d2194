"""The one word tokenizer, stop-word list and plural rule, for matching claims, sources and answers."""

from __future__ import annotations

import re
import unicodedata

# A run of letters and digits, in any script ("Zürich", "5G"); punctuation and underscores split words.
_TOKEN = re.compile(r"[^\W_]+")

# Articles, conjunctions and the commonest prepositions: words that never tell two answers apart.
FUNCTION_WORDS = frozenset("a an and at by for in of on or the to with".split())
# Function words plus pronouns, auxiliaries and reporting verbs: what a claim and a source may share
# without sharing any content.
STOP_WORDS = FUNCTION_WORDS | frozenset(
    """
    a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing done down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most my
    myself no nor not now of off on once only or other our ours ourselves out over own same she should so
    some such than that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom whose why will with would you your
    yours yourself yourselves tell know according say said says
    """.split()
)


def tokens(text: str) -> list[str]:
    """Lower-case word tokens of `text` ("Huawei's 5G base-stations" -> huawei, s, 5g, base, stations)."""
    return _TOKEN.findall(text.lower())


def fold_accents(text: str) -> str:
    """`text` without combining accents ("Pelé" -> "Pele")."""
    if text.isascii():
        return text  # most news text: nothing to fold, and decomposing it char by char is the slow part
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold_plural(word: str) -> str:
    """A crude singular, the same on both sides of a comparison: "prices" -> "price", "glass" stays."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def same_word(a: str, b: str) -> bool:
    """Equal up to a plural ending: chicken/chickens, box/boxes, country/countries."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    if len(short) < 3:  # "a"/"as", "u"/"us": too short to tell a plural from another word
        return False
    return long in (short + "s", short + "es") or (short.endswith("y") and long == short[:-1] + "ies")


def content_words(text: str) -> set[str]:
    """The words that carry meaning: tokens without stop words, plurals folded."""
    return {fold_plural(word) for word in tokens(text) if word not in STOP_WORDS}


_POSSESSIVE = re.compile(r"['’]s\b")


def drop_possessives(text: str) -> str:
    """`text` without possessive 's ("Huawei's" -> "Huawei"), so both forms match the same word."""
    return _POSSESSIVE.sub("", text)


def keyword_tokens(text: str) -> list[str]:
    """Words for keyword search: accents and plurals folded, possessive 's and stop words dropped."""
    folded = fold_accents(drop_possessives(text))
    return [fold_plural(word) for word in tokens(folded) if word not in STOP_WORDS]


_LETTERS = re.compile(r"[^\W\d_]+")


def unknown_words(text: str) -> set[str]:
    """The words of `text` that no English word list knows ("zorblax", a place typed in lower case,
    a typo), folded like `keyword_tokens`: what a question names rather than asks."""
    from wordfreq import zipf_frequency  # its word list loads on first use (~0.3 s), once

    return {
        token
        for word in _LETTERS.findall(drop_possessives(text))
        if zipf_frequency(word.lower(), "en") == 0
        for token in keyword_tokens(word)
    }
