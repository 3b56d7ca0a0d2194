"""The figure a question across articles asks for, read from a sentence: the kind asked (an amount, an
age, a year, a count) nearest the question's words, never a date, a time of day or prose ("one of")."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from qa.answer.judgment import coverage_of
from qa.text.values import Value, find_values
from qa.text.words import fold_plural, keyword_tokens, unknown_words

MIN_STEM = 4  # letters a word keeps when its ending is cut
# "ate" before "e": "estimate" is cut as "estimated" is ("estim"), not to "estimat".
_ENDINGS = tuple("ations ation ated ating ates ate ers ees ing ed er ee es e".split())
_AMPERSAND = re.compile(r"(?<=[A-Za-z])&(?=[A-Za-z])")
PHRASE_WORDS = 8  # words either side of a figure quoted in an answer
# Where a clause ends within a sentence: a semicolon, dash or bracket, a comma or colon (not in "10,000"
# or "1:30"); a full stop there ends only an abbreviation ("p.m.").
_CLAUSE_MARK = re.compile(r"[;—–()]|[,:](?!\d)")
VALUE_WINDOW = 4  # words either side of a value that say what it counts
# Words that ask for an amount of money: the figure must carry a currency.
_MONEY = re.compile(
    r"[$€£¥]|\b(?:jackpot|cash|price|cost|costs|cheaper|paid|payment|settlement|amount|worth|grants?"
    r"|budgets?|fund(?:ing|s)?|fines?|fees?|salary|wages?|appeals?|fundrais\w*|donations?|raised)\b",
    re.I,
)
# "the next 48 hours", "for 50 years": how long, not how many of what is asked.
_DURATION = re.compile(r"[\s-]*(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?)\b(?![\s-]*old)", re.I)
_HOW_LONG = re.compile(r"\bhow long\b", re.I)
# Words that ask for a span of time: a unit of it, or what lasted ("which strike lasted longer").
_TIME_UNITS = re.compile(
    r"\b(?:seconds|minutes|hours|days|weeks|months|years)\b|\blast(?:ed|s)\b|\blast (?:longer|shorter)\b",
    re.I,
)
# "How much did it cost?" asks for money; "how much more", "how much of" and "how much did the petition grow"
# (by how many of whatever it counts) do not.
_HOW_MUCH = re.compile(
    r"\bhow much\b(?!\s+(?:more|less|bigger|larger|smaller|longer|older|of)\b)"
    r"(?!.*\b(?:grow|grew|grown|rise|rose|risen|fall|fell|fallen|increase|decrease|drop|climb|shrink|change"
    r"|go(?:ne)? (?:up|down))\b)",
    re.I,
)
_ASKS_RANK = re.compile(r"\b(?:rank(?:ing|ed|s)?|place[ds]?|position)\b", re.I)
_ORDINAL = re.compile(r"(?:st|nd|rd|th)$", re.I)  # "3rd", "seventh", "twenty-first"
_PROSE_NUMBERS = frozenset({"one", "first", "a", "an"})  # "one of the latest", "her first nomination"
# "9:34", "9 a.m.": a time, not a figure ("71 million Americans" is no "a.m.")
_TIME_OF_DAY = re.compile(r"\s*(?::\d\d|[ap]\.?m\.?(?![a-z]))", re.I)
_ASKS_AGE = re.compile(r"\bhow old\b|\bolder\b|\byounger\b|\bages?\b", re.I)
_AGE_BEFORE = re.compile(r"\b(?:age of|aged|died at|dies at|at age)\s*$", re.I)
_AGE_AFTER = re.compile(r"[\s-]*years?[\s-]*old\b", re.I)
# "Kirk, 31, was speaking": an age set off by commas after a name is no count of anything.
_NAME_BEFORE = re.compile(r"\b[A-Z][\w'’.-]*,\s*$")
# "1 in 5 Americans", "3 out of 4 voters": a share, neither of its numbers a count.
_SHARE_AFTER = re.compile(
    r"\s+(?:in|out of)\s+(?:\d[\d,.]*|every|two|three|four|five|six|seven|eight|nine|ten)\b"
)
_SHARE_BEFORE = re.compile(
    r"\b(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine)\s+(?:in|out of)\s+$", re.I
)
# "Oct. 10 and 11": the second day of a date, not a figure.
_AFTER_A_DAY = re.compile(r"\b[A-Z][a-z]{2,8}\.? \d{1,2}(?:st|nd|rd|th)?\s*(?:and|to|-|–)\s*$")
_COUNTED = re.compile(r"\b(?:how many|number of|more|fewer)\s+((?:[\w'’-]+[\s,?]*){1,5})", re.I)
_PHRASE_ENDS = frozenset(
    """did do does was were is are have has had will would could can in of to for on at from by between
    and or than with as that which who the a an his her its their came went got get took won lost drew
    """.split()
)
WORDED_WINDOW = 8  # a toll's or a crowd's figure: its words lead the clause ("the death toll … rose to 104")
# What a figure of a toll or a crowd stands beside in a report (stems, matched as word starts).
_WORDED_AS = {
    "toll": (("death", "dead", "die", "kill", "fatal", "toll"), WORDED_WINDOW),
    "crowd": (("crowd", "people", "attend", "spectator", "mourner", "person"), WORDED_WINDOW),
    "acreage": (("acre",), 2),  # a unit follows its figure: "52,600 acres"
}
_ANY_COUNT = frozenset("people persons times years days months weeks than".split())
# Who make up a crowd, as a question counts them ("the number of marchers"): a report says "4,200 people
# marched", "some 2,900 people … joined a march" (stems, as `stem` cuts them).
_CROWD_NOUNS = frozenset(
    "march protest demonstrator attend visitor spectator mourn participant fan rallygo worshipp".split()
)
# Who a count of people names as people ("how many Americans", "how many residents"), and the words a
# report may count them by instead.
_PEOPLE_NOUNS = frozenset("american resident citizen adult individual".split())
_PEOPLE_WORDS = ("people", "person", "adult", "child", "resident", "individual", "citizen", "american")
# A figure's unit of measure ("212 metres", "187-metre", "2.3 kilometres", "13 mph"): a length, an area, a
# weight, a volume, a speed; no count of people or things.
_LENGTH_UNITS = r"(?:kilo|centi|milli)?met(?:re|er)s?|km|miles?|feet|foot|ft|inch(?:es)?|yards?"
_MEASURE_UNIT = re.compile(
    rf"[\s-]*(?:(?:square|cubic)\s+)?(?:{_LENGTH_UNITS}|acres?|hectares?|tons?|tonnes?|kilograms?|kg|grams?"
    r"|lbs?|litres?|liters?|gallons?|mph|degrees?)\b",
    re.I,
)
_LENGTH_UNIT = re.compile(rf"[\s-]*(?:{_LENGTH_UNITS})\b", re.I)
# A comparison of size asks for a length of one dimension: "which is longer" — "212 metres long", not
# "4.5 metres wide" or "11,000 walkers".
_DIMENSIONS = {
    "long": frozenset("long longer shorter length lengths".split()),
    "wide": frozenset("wide wider narrower width".split()),
    "high": frozenset("high higher tall taller height".split()),
    "deep": frozenset("deep deeper shallower depth".split()),
}
_DIMENSION_WORDS = {word: dimension for dimension, words in _DIMENSIONS.items() for word in words}
# Where a question asks a dimension: a comparative, a noun of it, or "how long/wide/…" ("during the long
# Powerball run" asks none).
_ASKS_DIMENSION = re.compile(
    r"\b(?:longer|shorter|wider|narrower|higher|taller|deeper|shallower|lengths?|width|height|depth)\b"
    r"|\bhow (?:long|wide|high|tall|deep)\b",
    re.I,
)
# A speed asked ("stronger winds", "wind speeds", "top speed") is a figure in a unit of speed.
_ASKS_SPEED = re.compile(
    r"\b(?:speeds?|mph|how fast|(?:stronger|weaker|strongest|top|maximum|sustained) winds?)\b", re.I
)  # not "how many homes lost power in the wind storm"
_SPEED_UNIT = re.compile(
    r"[\s-]*(?:mph|km/h|kph|knots|(?:miles|kilometres|kilometers) (?:per|an) hour)\b", re.I
)
_WORD_AFTER_UNIT = re.compile(rf"[\s-]*(?:{_LENGTH_UNITS})\s+(\w+)", re.I)
# The counted noun stands this close to its figure: "201 votes", "4,200 people took part in the march".
NOUN_WINDOW = 5
_YEAR_ASKED = ("what year", "which year", "in what year")


def asked_values(sentence: str, question: str, weights: dict[str, float]) -> list[Value]:
    """The figures in `sentence` of the kind the question asks for, the likeliest first: of its values
    not already in the question (not a date, not a year unless a year is asked), those beside the
    question's rarest words, then those nearest any of its words."""
    in_question = {v.key for v in find_values(question)}
    asks_year = any(p in question.lower() for p in _YEAR_ASKED)
    # Money only where money is asked: "people losing coverage under the $4.5 trillion bill" counts people.
    asks_money = any(_is_asked_word(question, m) for m in _MONEY.finditer(question)) or bool(
        _HOW_MUCH.search(question)
    )
    # "how long", "how many days" (not only: "how long is the border?" asks for miles)
    durations_asked = bool(_HOW_LONG.search(question) or _TIME_UNITS.search(question))
    values = [
        v
        for v in find_values(sentence)
        if "-" not in v.key
        and v.key not in in_question
        and _is_year(sentence, v) == asks_year
        and (v.key[:1] in "$€£¥") == asks_money
        and sentence[v.start : v.end].lower() not in _PROSE_NUMBERS
        and not _TIME_OF_DAY.match(sentence, v.end)
        and (durations_asked or not _spans_time(sentence, v))
        and not sentence[: v.start].endswith(":")
        and not _AFTER_A_DAY.search(sentence[: v.start])
        and not _SHARE_AFTER.match(sentence, v.end)
        and not _SHARE_BEFORE.search(sentence[: v.start])
    ]
    counted, window = measured_nouns(question)
    values = _of_the_measure_asked(sentence, values, question, counted)
    if counted:  # "how many votes": a figure of votes, not of ballots or years
        beside = [(v, words_beside(sentence, v, window=window)) for v in values]
        values = [v for v, words in beside if any(_names(noun, words) for noun in counted)]
    values = [v for v in values if _is_age(sentence, v) == bool(_ASKS_AGE.search(question))]
    if _ASKS_RANK.search(question):  # "how did its ranking change": "seventh-largest", not "600 square miles"
        values = [v for v in values if is_rank(sentence[v.start : v.end])]
    if any(not v.plain for v in values):
        values = [v for v in values if not v.plain]  # "six" counts only where no figure is written
    # The figure the question's rarest words stand beside ("about 35 in Lee County", not "66 deaths …
    # in Florida"), then the nearest to any of its words.
    lowered = sentence.lower()
    marks = [i for w in weights for i in _positions(lowered, w)]

    def rank(value: Value) -> tuple[float, int]:
        beside = coverage_of(words_beside(sentence, value), weights)
        near = min((min(abs(m - value.start), abs(m - value.end)) for m in marks), default=0)
        return -beside, near

    return sorted(values, key=rank)


def _of_the_measure_asked(
    sentence: str, values: list[Value], question: str, counted: tuple[str, ...]
) -> list[Value]:
    """Of `values`, those of the measure asked: a speed ("stronger winds"), a length of the dimension asked
    ("which is longer"); no length, area or weight for a count ("how many marchers": not "2.3
    kilometres") unless what is `counted` is itself a unit ("acre")."""
    if _ASKS_SPEED.search(question):  # "which hurricane had the stronger winds": "150 mph"
        return [v for v in values if _SPEED_UNIT.match(sentence, v.end)]
    asked = [_DIMENSION_WORDS[m.group().split()[-1].lower()] for m in _ASKS_DIMENSION.finditer(question)]
    if asked:  # a length of that dimension, or a span of time ("which lasted longer")
        return [
            v
            for v in values
            if (_LENGTH_UNIT.match(sentence, v.end) and _dimension_of(sentence, v) in (None, asked[0]))
            or _spans_time(sentence, v)
        ]
    if _COUNTED.search(question) and not any(_MEASURE_UNIT.fullmatch(n) for n in counted):
        return [v for v in values if not _MEASURE_UNIT.match(sentence, v.end)]
    return values


def _dimension_of(sentence: str, value: Value) -> str | None:
    """The dimension a length states, when the word after its unit says it ("4.5 metres wide")."""
    after = _WORD_AFTER_UNIT.match(sentence, value.end)
    return _DIMENSION_WORDS.get(after.group(1).lower()) if after else None


def is_rank(written: str) -> bool:
    """Is a figure, as written, a rank ("3rd", "seventh") rather than an amount?"""
    return bool(_ORDINAL.search(written))


def _spans_time(sentence: str, value: Value) -> bool:
    """Is `value` a span of time ("the next 48 hours", "for 50 years")?"""
    return bool(_DURATION.match(sentence, value.end))


def _is_asked_word(question: str, found: re.Match[str]) -> bool:
    """Is a matched word the question's own, not part of a name ("Congressional Budget Office")?"""
    word = found.group()
    return found.start() == 0 or not word[:1].isupper() or not word[:1].isalpha()


def _is_age(sentence: str, value: Value) -> bool:
    """Is `value` someone's age ("aged 96", "the 31-year-old", "Kirk, 31, was")?"""
    if _AGE_BEFORE.search(sentence[: value.start]) or _AGE_AFTER.match(sentence, value.end):
        return True
    return bool(_NAME_BEFORE.search(sentence[: value.start])) and sentence[value.end : value.end + 1] == ","


def phrase_around(sentence: str, value: Value, reach: int = PHRASE_WORDS) -> str:
    """The clause of `sentence` that holds `value`, at most `reach` words either side of it, an ellipsis
    where it is cut ("…attributed at least 18 deaths to the storm")."""
    starts = [m.end() for m in _CLAUSE_MARK.finditer(sentence, 0, value.start)]
    start = starts[-1] if starts else 0
    stop = _CLAUSE_MARK.search(sentence, value.end)
    end = stop.start() if stop else len(sentence)
    before = sentence[start : value.start].split()
    after = sentence[value.end : end].split()
    head = ("…" if len(before) > reach else "") + " ".join(before[-reach:])
    tail = " ".join(after[:reach]) + ("…" if len(after) > reach else "")
    glue_before = " " if head and sentence[value.start - 1 : value.start].isspace() else ""
    glue_after = " " if tail and sentence[value.end : value.end + 1].isspace() else ""
    shown = f"{head}{glue_before}{sentence[value.start : value.end]}{glue_after}{tail}"
    return shown.strip().rstrip(".")


def words_beside(sentence: str, value: Value, window: int = VALUE_WINDOW) -> set[str]:
    """The words within `window` words either side of `value`, stemmed."""
    before = stems(sentence[: value.start])[-window:]
    after = stems(sentence[value.end :])[:window]
    return set(before) | set(after)


def _positions(text: str, word: str) -> list[int]:
    found, at = [], text.find(word)
    while at >= 0:
        found.append(at)
        at = text.find(word, at + 1)
    return found


def _is_year(sentence: str, value: Value) -> bool:
    # "in 2000" is a year; "2,000 troops" is written as no year is.
    written = sentence[value.start : value.end]
    return (
        value.key.isdigit() and len(value.key) == 4 and 1900 <= int(value.key) <= 2100 and "," not in written
    )


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
    for scale, word in ((Decimal(10) ** 9, "billion"), (Decimal(10) ** 6, "million")):
        # As the news writes it: "$1.8 million", not "$1,800,000" (a figure it rounds no further).
        if gap >= scale and (gap / scale * 100) == (gap / scale * 100).to_integral():
            return f"{sign}{(gap / scale).normalize():f} {word}{unit}"
    return (
        f"{sign}{gap:,f}{unit}".replace(".0,", ",")
        if gap != gap.to_integral()
        else f"{sign}{int(gap):,}{unit}"
    )


def stems(text: str) -> list[str]:
    """The text's keyword words cut to a rough stem, so that a reader's word finds the article's:
    "marchers" and "march", "evacuees" and "evacuated" ("AT&T" is one word, "ATT")."""
    return [stem(word) for word in keyword_tokens(joined(text))]


def joined(text: str) -> str:
    """ "AT&T" as one word ("ATT"): split at "&", its letters are no name at all."""
    return _AMPERSAND.sub("", text)


def stem(word: str) -> str:
    """`word` (folded, as keyword_tokens gives it) less a common ending, keeping at least 4 letters."""
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            return word[: -len(ending)]
    return word


def _names(noun: str, words: set[str]) -> bool:
    """Is `noun` among `words`, one stem the start of the other ("signatur" and "sign")?"""
    return any(w.startswith(noun) or (len(w) >= MIN_STEM and noun.startswith(w)) for w in words)


def measured_nouns(question: str) -> tuple[tuple[str, ...], int]:
    """What the question counts, stemmed, as the articles may word it, and how many words from its
    figure a sentence says it: a toll is of deaths ("killed", "dead"; "the death toll from last week's
    flooding rose to 104"), a crowd of people; else the last word of the phrase after "how many",
    "number of", "more" ("how many National Guard troops did …" -> "troop"); none for a word that
    counts anything ("people", "times") or when no such phrase is asked."""
    asked = set(keyword_tokens(question))
    for measure, (worded, window) in _WORDED_AS.items():
        if measure in asked:
            return worded, window
    noun = _counted_noun(question)
    if noun in _CROWD_NOUNS:  # "the number of marchers": "4,200 people marched", "2,900 people … joined"
        return (noun, *_WORDED_AS["crowd"][0]), WORDED_WINDOW
    if noun in _PEOPLE_NOUNS:  # "how many Americans does Medicaid cover": "83 million … children and adults"
        return tuple(dict.fromkeys((noun, *_PEOPLE_WORDS))), NOUN_WINDOW
    return ((noun,) if noun else ()), NOUN_WINDOW


def _counted_noun(question: str) -> str | None:
    found = _COUNTED.search(question)
    if not found:
        return None
    phrase: list[str] = []
    for word in found.group(1).split():
        bare = word.strip(",.?!;:'\"()").lower()
        if not bare or bare in _PHRASE_ENDS or bare.endswith(("ing", "ed")) or not bare.isalpha():
            break
        named = word[:1].isupper() or bool(unknown_words(bare))  # "corvell", a name typed in lower case
        if phrase and named and (phrase[-1] in _ANY_COUNT or phrase[-1].endswith("s")):
            break  # "how many people President Biden honored": a name after the noun starts the clause
        phrase.append(bare)
        if word[-1] in ",.?!;:":  # "more sets, Jannik Sinner's …": the clause ends here
            break
    if not phrase or phrase[-1] in _ANY_COUNT:
        return None
    return stem(fold_plural(phrase[-1]))
