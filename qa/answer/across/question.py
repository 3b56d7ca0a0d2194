"""What a question across articles asks (issue 22): its kind, and the two things its answer must find.

Four kinds, read from the wording alone (no model):
- order: "Was X before or after Y?" — the day of X and the day of Y;
- comparison: "Which is bigger, A or B?", "How much cheaper was A than B?" — a value for A and for B;
- change: "How did the death toll change between the Jan 9 and Jan 16 reports?" — the same value, reported
  at two times;
- disagreement: "Do CNN and USA Today agree on …?" — the same value, from two reports.

Each side is searched with the question less the other side's words, so that shared context ("Everything
Everywhere All at Once", "nominations") finds the article that states the side's own part ("BAFTA").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

CrossKind = Literal["order", "comparison", "change", "disagreement"]

_ORDER = re.compile(r"\s+(?:come |happen |take place |occur )?before or after\s+", re.I)
_LEAD = re.compile(r"^\W*(?:was|were|did|does|do|is|has|had)\s+", re.I)
_FIRST_OF = re.compile(
    r"\b(?:which|what) (?:one )?(?:came|happened|was|occurred|took place|(?P<event>began|started|\w+ed))"
    r" first\b",
    re.I,
)  # "which came first", "which opened first": then the event is the opening
_AGREE = re.compile(r"\b(?:agree|disagree|the same|differ|match)\b", re.I)
_CHANGE = re.compile(
    r"\bhow (?:did|has|have|had) .+\bchange\b|\b(?:rise|rose|fall|fell|grow|grew) from\b"
    # "how much did the petition grow between the march and the vote", "did it go up between the dec 7 and
    # dec 9 reports": one figure at two times (not "how much did prices rise in 2022?", one report's figure)
    r"|(?:\bhow (?:much|many|far) (?:more |less |fewer )?|^\W*)(?:did|has|have|had) .+"
    r"\b(?:grow|grown|rise|risen|fall|fallen|increase|decrease|drop|climb|shrink|go(?:ne)? (?:up|down))\b"
    r".*\b(?:between|since|from)\b",
    re.I,
)
_MORE = (
    r"(?:more|bigger|larger|greater|higher|longer|older|cheaper|smaller|fewer|less|lower|shorter|younger"
    r"|stronger|weaker|deadlier|costlier|faster|slower|heavier|lighter|wider|narrower|taller|deeper)"
)
# "compared with", "than": the second side follows, the first is the question's subject.
_AGAINST = re.compile(r"\s+(?:compared (?:with|to)|versus|vs\.?|than)\s+", re.I)
# Not "more than 100,000 homes": a comparative right before "than" counts something, it compares nothing.
_SMALLER = frozenset(
    "cheaper smaller fewer less lower shorter younger weaker slower lighter narrower".split()
)
# "Was A bigger or smaller than B?": the sides are A and B, not "bigger" and "smaller than B".
_EITHER_WAY = re.compile(rf"\s+{_MORE}\s+or\s+{_MORE}\s+than\s+", re.I)
_MORE_WORD = re.compile(rf"\b{_MORE}\b(?!\s+than\b)", re.I)
# "How many at first, and how many at last?": one figure at two times (not a question asked twice).
_HOW_MANY = re.compile(r"\bhow (?:many|much)\b.*\band how (?:many|much)\b", re.I)
# "between the first and second report", "between the two reports": one figure in two reports.
_TWO_REPORTS = re.compile(
    r"\bbetween (?:the )?(?:two|first and (?:the )?second|earlier and (?:the )?later) "
    r"(?:reports?|updates?|stories)\b",
    re.I,
)
_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
_A_MONTH = re.compile(rf"\b(?:{_MONTHS})[a-z]*\b")
# What a side may hold besides its day and still be only a day: "the Jan. 9 report", "in its nov 13 one".
_DAY_WORDS = re.compile(
    r"\b(?:on|by|the|in|its|their|one|report|reports|update|story|stories|article|edition|piece"
    rf"|(?:{_MONTHS})[a-z]*\.?|\d{{1,2}}(?:st|nd|rd|th)?|\d{{4}})\b"
)
_EACH = re.compile(r"\b(?:each|both)\b", re.I)
# Where the first alternative starts, when no comma or colon says it: the word the second one starts with.
_PARALLEL_WORDS = frozenset("in for the his her its their a an on at more less to from by".split())
# A comma ends a side only before a lower-case word: "Washington, D.C." and "Pokhara, Nepal" are one.
_SIDE_END = re.compile(
    r",(?=\s+[a-z])|[?:;]|\s+and\s+|\s+[—–-]\s+"
)  # "ridge run vs greyhollow half - which …"
_TAIL = re.compile(r"(?<!\b[A-Z])[\s.?!]+$|[\s?!]+$")  # keeps the stop of "D.C."


@dataclass(frozen=True)
class CrossQuestion:
    """A question whose answer joins two facts, each from its own article."""

    kind: CrossKind
    question: str
    options: tuple[str, str] | None = None  # the two things compared or ordered, as the question words them
    asks_first: bool = False  # "which came first, X or Y?" rather than "was X before or after Y?"
    event: str = ""  # what each side did, when the question says it once for both ("which opened first")

    def side_queries(self) -> tuple[str, str] | None:
        """What each side's article is searched with: the question less the other side (None: the sides
        are two reports of one thing, found by one search)."""
        if self.options is None:
            return None
        first, second = self.options
        if self.asks_first:  # "which opened first, A or B": "A opened", "B opened" ("first" is the asking)
            return (f"{first} {self.event}".strip(), f"{second} {self.event}".strip())
        return (_without(self.question, second), _without(self.question, first))


def cross_question(question: str) -> CrossQuestion | None:
    """The cross-article question `question` is, or None when it asks for one fact."""
    text = " ".join(question.split())
    order = _ORDER.search(text)
    if order:
        first = _LEAD.sub("", text[: order.start()])
        second = _side_after(text, order.end())
        if first and second:
            return CrossQuestion("order", text, (first, second))
    first_of = _FIRST_OF.search(text)
    if first_of:  # "Which happened first, X or Y?"
        at = text.find(" or ", first_of.end())
        if at > 0:
            first = _TAIL.sub("", text[first_of.end() : at].strip(" ,:-–—"))
            second = _side_after(text, at + 4)
            if first and second:
                event = (first_of.group("event") or "").lower()
                return CrossQuestion("order", text, (first, second), asks_first=True, event=event)
    if _AGREE.search(text):
        return CrossQuestion("disagreement", text)
    if _CHANGE.search(text) or _HOW_MANY.search(text) or _TWO_REPORTS.search(text):
        return CrossQuestion("change", text)
    options = _alternatives(text)
    if options is not None and any(_only_a_day(option) for option in options):
        return CrossQuestion("change", text)  # "how many more by the Oct 21 report than on Oct 19?"
    if options is not None:
        return CrossQuestion("comparison", text, options)
    if _MORE_WORD.search(text) and _EACH.search(text):
        return CrossQuestion("comparison", text)  # "how many in each game, and how many more?"
    return None


def _only_a_day(option: str) -> bool:
    """Is the side only a day ("on oct 19", "the Jan. 9 report"; "in 2024" is a year's worth of things)?"""
    lowered = option.lower()
    return bool(_A_MONTH.search(lowered)) and not _DAY_WORDS.sub(" ", lowered).strip(" .,")


def wants_smaller(question: str) -> bool:
    """Does the comparison ask for the smaller side ("cheaper", "fewer", "younger")?"""
    found = _MORE_WORD.search(question)
    return found is not None and found.group().lower() in _SMALLER


def asks_difference(question: str) -> bool:
    """Does the comparison ask by how much the sides differ ("how many more", "how much cheaper", "and by
    how much")?"""
    return bool(
        re.search(
            rf"\bhow (?:many|much) {_MORE}\b|\b(?:many|much) {_MORE} (?:did|was|were|is)\b"
            r"|\bby how (?:many|much)\b|\bwhat(?:'s| is| was) the (?:difference|gap)\b",
            question,
            re.I,
        )
    )


def _alternatives(text: str) -> tuple[str, str] | None:
    """The two things a comparison offers: "…, A or B, …", "more A or more B", "A compared with B", "A
    bigger or smaller than B"."""
    either = _EITHER_WAY.search(text)
    if either:
        first, second = _LEAD.sub("", _after_intro(text[: either.start()])), _side_after(text, either.end())
        if first and second:
            return first, second
    if _MORE_WORD.search(text):
        at = text.find(" or ")
        if at > 0:
            second = _side_after(text, at + 4)
            first = _side_before(text, at, second)
            if first and second:
                return first, second
    against = _AGAINST.search(text)
    compares = against and any(m.start() < against.start() for m in _MORE_WORD.finditer(text))
    if against and (compares or "than" not in against.group()):
        first = _LEAD.sub(
            "", re.sub(r"^\W*how (?:many|much)\s+(?:\w+\s+)?", "", text[: against.start()], flags=re.I)
        )
        second = _side_after(text, against.end())
        if first and second:
            return first, second
    return None


def _side_after(text: str, start: int) -> str:
    """The words from `start` to the end of the clause (a comma, "?", " and ")."""
    rest = text[start:]
    end = _SIDE_END.search(rest)
    return _TAIL.sub("", rest[: end.start()] if end else rest)


def _after_intro(text: str) -> str:
    """`text` from after the sentence that sets the scene ("Hertz customers … sued the company. Was …")."""
    return re.split(r"(?<=[.!?])\s+(?=[A-Z])", text)[-1]


def _side_before(text: str, end: int, second: str) -> str:
    """The first alternative, ending at `end`: from the last comma or colon, else from the last use of the
    word the second alternative starts with ("in 2023 or in 2024"), else the question's last words."""
    head = text[:end]
    # A colon introduces the two ("…had more deaths: the Flint, Michigan outbreak …, or the Harlem cluster"):
    # the first runs from it, commas and all; else from the last comma.
    mark = head.rfind(": ") if ": " in head else head.rfind(", ")
    if mark >= 0:
        return head[mark + 2 :].rstrip(" ,")
    word = second.split()[0].lower()
    if word in _PARALLEL_WORDS:
        found = [m.start() for m in re.finditer(rf"\b{re.escape(word)}\b", head, re.I)]
        if found:
            return head[found[-1] :]
    return " ".join(head.split()[-4:])


def _without(question: str, side: str) -> str:
    """`question` with `side`'s words taken out (and the " or " that joined it)."""
    at = question.find(side)
    if at < 0:
        return question
    head, tail = question[:at], question[at + len(side) :]
    head, tail = re.sub(r"\s+or\s*$", "", head), re.sub(r"^\s*or\s+", " ", tail)
    return " ".join((head + tail).split())
