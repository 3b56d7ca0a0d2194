"""The one sentence splitter: character spans, abbreviation- and initial-aware, newline-bounded."""

from __future__ import annotations

import re

# Words that end with a period without ending the sentence. Lower-case, without the final period.
ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt ft gen gov sen rep rev col lt sgt capt cmdr adm pres supt
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun
    inc ltd co corp bros dept univ assn est approx vs etc al fig no nos vol pp
    u.s u.k u.n e.u a.m p.m i.e e.g d.c n.y l.a""".split()
)
_BOUNDARY = re.compile(r"""[.!?…]+["'”’)\]]*\s+|\n\s*""")
_NEXT_STARTS_SENTENCE = re.compile(r"""["'“‘(\[]*[A-Z0-9]""")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return the (start, end) character spans of the sentences of `text`, whitespace excluded."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        is_newline = "\n" in match.group()
        if not is_newline:
            if not _NEXT_STARTS_SENTENCE.match(text, end):
                continue
            preceding = text[start : match.start()].split()
            last_word = preceding[-1].lower().rstrip(".") if preceding else ""
            # "Mr. Smith", "U.S. officials", "J. Smith": a period that closes an abbreviation or an initial.
            if last_word in ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
                continue
        _append_trimmed(spans, text, start, end)
        start = end
    _append_trimmed(spans, text, start, len(text))
    return spans


def sentences(text: str) -> list[str]:
    """The sentences of `text` as strings (see `split_sentences`)."""
    return [text[start:end] for start, end in split_sentences(text)]


# A quotation's span within one sentence: curly quotes, or straight double quotes.
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")


def narrated(sentence: str) -> str:
    """The words of `sentence` outside its quotations: the writer's own, not what someone is quoted saying.
    Quoted text becomes spaces, so a match in what is left has its place in the sentence.

    A sentence cut from a longer quotation keeps one quote mark: "check your ticket,” the director said"
    ends a quotation (text before it is quoted), "He wrote: “the probabilities" opens one (text after it)."""
    text = _QUOTED.sub(lambda quoted: " " * len(quoted.group()), sentence)
    closing = max(text.rfind("”"), _closing_straight_quote(text))
    if closing >= 0:
        text = " " * (closing + 1) + text[closing + 1 :]
    openings = [at for at in (text.find("“"), text.find('"')) if at >= 0]
    return text[: min(openings)] + " " * (len(text) - min(openings)) if openings else text


# A dateline opening a report: the place in capitals, perhaps the outlet in brackets, then a dash
# ("TELLBRIDGE (Tellbridge Clarion) — ", "WASHINGTON ― ", "LOS ANGELES − ").
_DATELINE = re.compile(r"^[A-Z][A-Z.,'’ -]*[A-Z]\.?(?:\s*\([^()]{1,60}\))?\s*[—–―−-]+\s+(?=[A-Z0-9\"“‘'])")


def without_dateline(sentence: str) -> str:
    """`sentence` without the dateline that opens its report, if it has one."""
    found = _DATELINE.match(sentence)
    return sentence[found.end() :] if found and len(found.group().split()[0]) >= 2 else sentence


def _closing_straight_quote(text: str) -> int:
    """The position of a lone straight quote that closes a quotation (after ',', '.', '!' or '?'), or -1."""
    at = text.find('"')
    return at if at > 0 and text[at - 1] in ",.!?" else -1


def _append_trimmed(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))
