"""Does the evidence hold the answer? The decision to show an answer or decline, read from the evidence.

The similarity of the best passage alone does not transfer across weeks (MiniLM's cosine for a short
or reworded question sits between 0.4 and 0.6 whether or not the passage holds the answer), and the
1.5B model cannot judge its own evidence. So the decision reads the evidence sentences the model is
about to be given, as a careful reader would:

- coverage: the share of the question's rare words (weighted by how rare they are among the given
  sentences) that one evidence sentence holds;
- the kind of answer asked for (a number, a date, a name) present in the sentences that cover the
  question best and not already in the question;
- dense and keyword retrieval agreeing on the first article; the best passage's similarity.

A small logistic model combines them; its weights were fitted on one dev set and reported on the other
(docs/EVALUATION.md, "Evidence judgment"). It runs before the model, so a question the evidence cannot
answer costs no generation; after the model, its own decline, the support check and the period of the
cited article still apply (qa/answer/engine.py). Every signal is kept in the result, so a decline
explains itself.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from qa.results import GivenSource, Signals
from qa.text.words import keyword_tokens, unknown_words

# Words that say when, ask how or ask for the answer's form ("Answer briefly."), never what: they are not
# what a sentence must share with the question.
_NOT_CONTENT = frozenset(
    """
    today tonight yesterday week weekend month year day days weeks months years last past this next
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december recently latest new newly many much whats
    answer answers briefly brief short shortly please explain exactly word words sentence
    """.split()
)
_YEAR = re.compile(r"(1[89]|20)\d\d")  # a year in a question says when, like a month
# Words news questions use for any story ("Which company announced ..."): a source need not repeat them.
_GENERIC = frozenset(
    """
    announced announce announcement reported report revealed released unveiled plan planned plans
    week company country countries city state states people person official officials government figure
    figures group first new latest major former top leader leaders amid following year years called named
    name become became make made set sets take took get got give gave find found show shows showed
    kind type number amount one two u s us
    """.split()
)
_NUMBER_WORDS = frozenset(
    """
    one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
    seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand
    million billion trillion dozen dozens hundreds thousands millions billions half percent
    """.split()
)
_DATE_WORDS = frozenset(
    """
    january february march april may june july august september october november december monday tuesday
    wednesday thursday friday saturday sunday yesterday today tomorrow
    """.split()
)
_ASKS_NUMBER = re.compile(
    r"\bhow (many|much|long|old|far|tall|big|often|large|high|fast)\b"
    r"|\bwhat (percentage|percent|share|proportion|number|amount|sum|price|age|score)\b",
    re.IGNORECASE,
)
_ASKS_DATE = re.compile(r"^\s*when\b|\bwhat (year|date|day|month)\b|\bwhich (year|day|month|date)\b", re.I)
_ASKS_TIME = re.compile(r"\bwhat time\b|\bat what hour\b", re.I)  # a time of day: "9 p.m.", "noon"
_TIME_WORDS = frozenset("noon midday midnight morning afternoon evening night".split())
_ASKS_NAME = re.compile(
    r"\bwho(m|se)?\b|\bwhere\b|\b(which|what) (country|city|state|town|nation|region|island|company|"
    r"team|club|firm|party|group|person|organi[sz]ation|agency|airline|brand|band|singer|actor|player)\b",
    re.IGNORECASE,
)
_CAPITALISED = re.compile(r"\b[A-Z][\w'’.-]*")
_DIGITS = re.compile(r"\d")
_CLOSED_ANSWER = re.compile(r"\W*(yes|no|true|false)\b", re.IGNORECASE)
_OFFERS_CHOICE = re.compile(r"\w\s+or\s+\w", re.IGNORECASE)


FEATURES = ("best_score", "coverage", "source_coverage", "names_found", "answer_type", "agreement")
"""The signals the fitted model weighs, in the order `Signals.features` gives them."""


@dataclass(frozen=True)
class JudgmentModel:
    """A fitted logistic model: P(the evidence holds the answer) from the signals."""

    weights: Mapping[str, float]
    intercept: float
    fitted_on: str  # which dev set (and commit) the weights were fitted on

    def probability(self, signals: Signals) -> float:
        """How likely the evidence holds the answer, from 0 to 1."""
        features = signals.features()
        z = self.intercept + sum(w * features[name] for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-z))

    def to_json(self) -> dict[str, object]:
        """The weights as run configs record them."""
        return {"weights": dict(self.weights), "intercept": self.intercept, "fitted_on": self.fitted_on}


# Fitted on realtimeqa-2023 (120 questions + 60 later-week, the retrieval and evidence of issue 21) by
# scripts/fit_judgment.py, reported on realtimeqa-2025 and the user-question suite (docs/EVALUATION.md,
# "Evidence judgment"). The best passage's cosine is recorded but not weighed: it separates answerable
# from later-week quiz questions, but short questions typed by users score 0.13-0.6 whether or not the
# passage holds the answer, so a weight fitted on quiz questions declines what they plainly ask.
DEFAULT_MODEL = JudgmentModel(
    weights={
        "coverage": 0.591,
        "source_coverage": 3.153,
        "names_found": 1.422,
        "answer_type": 0.698,
        "agreement": -0.326,
    },
    intercept=-3.951,
    fitted_on="realtimeqa-2023 (questions + later-week), scripts/fit_judgment.py, issue 21",
)


def question_words(question: str) -> list[str]:
    """The question's content words, without the words that only say when, ask how, or fit any story."""
    words = dict.fromkeys(keyword_tokens(question))
    return [w for w in words if w not in _NOT_CONTENT | _GENERIC and not _YEAR.fullmatch(w)]


def question_names(question: str) -> set[str]:
    """The names and numbers of the question (capitalised past its first word, digits, or words no
    English word list knows: "what did the committee decide about the zorblax tariff?"), folded."""
    found = {w for m in _CAPITALISED.finditer(question[1:]) for w in keyword_tokens(m.group())}
    found |= {w for w in keyword_tokens(question) if _DIGITS.search(w)}
    # Typed in lower case, a name is still a name: without this, a question with no capital letter had
    # no names, and "names found" read 1.0 for a word no article uses.
    found |= unknown_words(question)
    return {w for w in found - _NOT_CONTENT - _GENERIC if not _YEAR.fullmatch(w)}


def sentence_words(sources: Sequence[GivenSource]) -> list[list[set[str]]]:
    """The keyword tokens of every given sentence, source by source."""
    return [[set(keyword_tokens(s)) for s in source.sentences] for source in sources]


def word_weights(asked: Sequence[str], words: Sequence[Sequence[set[str]]]) -> dict[str, float]:
    """Each asked word weighted by its rarity among the given sentences; one found nowhere weighs most."""
    pool = [sentence for source in words for sentence in source]
    counts = Counter(word for sentence in pool for word in sentence)
    total = max(len(pool), 1)
    return {word: math.log(1 + total / (counts[word] + 0.5)) for word in asked}


def coverage_of(held: set[str], weights: Mapping[str, float]) -> float:
    """The weighted share of the asked words that `held` contains (1 when the question asks no word)."""
    whole = sum(weights.values())
    return sum(w for word, w in weights.items() if word in held) / whole if whole else 1.0


def evidence_signals(
    question: str,
    sources: Sequence[GivenSource],
    *,
    best_score: float,
    dense_articles: Sequence[str] = (),
    keyword_articles: Sequence[str] = (),
) -> Signals:
    """The signals that need no answer: how well the evidence covers the question (before the model)."""
    asked = question_words(question)
    words = sentence_words(sources)
    weights = word_weights(asked, words)
    scored = [
        (coverage_of(held, weights), i, j) for i, source in enumerate(words) for j, held in enumerate(source)
    ]
    scored.sort(key=lambda item: -item[0])
    coverage = scored[0][0] if scored else 0.0
    source_coverage = max((coverage_of(set().union(*held), weights) for held in words if held), default=0.0)
    names = question_names(question)
    names_found = (
        max((len(names & set().union(*held)) / len(names) for held in words if held), default=0.0)
        if names
        else 1.0
    )
    # The kind of answer asked for, in one of the two sentences that cover the question best.
    best = [sources[i].sentences[j] for _, i, j in scored[:2]]
    answer_type = 1.0 if any(holds_answer_kind(question, s) for s in best) else 0.0
    everywhere = set().union(*(held for source in words for held in source))
    missing = tuple(sorted((w for w in asked if w not in everywhere), key=lambda w: -weights[w]))
    first = sources[0].article_id if sources else None
    agreement = 1.0 if first is not None and first in dense_articles and first in keyword_articles else 0.0
    return Signals(best_score, coverage, source_coverage, names_found, answer_type, agreement, missing)


def holds_answer_kind(question: str, sentence: str) -> bool:
    """Does `sentence` hold the kind of thing `question` asks for, beyond what the question itself says?"""
    # A sentence's first word is capitalised whatever it is, so it is not read as a name.
    return _holds_kind(question, sentence, names_from=1)


def answers_what_is_asked(question: str, answer: str) -> bool:
    """Does the model's `answer` (markers removed) add the kind of thing asked for to the question's own
    words? "The surface of comet Varga-Lind is hot" for "how hot is …" restates the question."""
    if _CLOSED_ANSWER.match(answer) or _OFFERS_CHOICE.search(question):
        # "Yes, …", "False.", or one of the alternatives the question offers ("before or after?",
        # "who was older, A or B?"): such an answer may repeat only the question's words
        return True
    return _holds_kind(question, answer, names_from=0)  # a short answer may start with the name


def _holds_kind(question: str, text: str, *, names_from: int) -> bool:
    asked = set(keyword_tokens(question))
    new_words = [w for w in keyword_tokens(text) if w not in asked]
    if _ASKS_NUMBER.search(question):
        return any(_DIGITS.search(w) or w in _NUMBER_WORDS for w in new_words)
    if _ASKS_TIME.search(question):
        return any(_DIGITS.search(w) or w in _TIME_WORDS for w in new_words)
    if _ASKS_DATE.search(question):
        return any(w in _DATE_WORDS or _YEAR.fullmatch(w) for w in new_words)
    if _ASKS_NAME.search(question):
        names = {w for m in _CAPITALISED.finditer(text[names_from:]) for w in keyword_tokens(m.group())}
        return bool(names - asked - _DATE_WORDS)
    return bool(new_words)  # "what …?": any word the question does not already say
