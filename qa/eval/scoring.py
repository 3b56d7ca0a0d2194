"""Is an answer right? The scoring rules of docs/EVALUATION.md, as pure functions.

Correct (with choices): the answer states the gold choice and no other one, case-, accent-,
punctuation- and plural-insensitively. The lenient check and token F1 are secondary figures.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from qa.text.markers import cited_numbers, strip_markers
from qa.text.values import stated_words
from qa.text.words import FUNCTION_WORDS, fold_accents, fold_plural, same_word, tokens

_APOSTROPHES = re.compile(r"['’‘`]")


def normalize_tokens(text: str) -> list[str]:
    """Lowercase word tokens without accents, punctuation or [n] markers ("Pelé's" -> ["peles"])."""
    # Apostrophes join rather than split, so a possessive folds like a plural: "Bills'" states "Bills".
    return tokens(_APOSTROPHES.sub("", fold_accents(strip_markers(text))))


def _occurrences(haystack: Sequence[str], needle: Sequence[str]) -> list[tuple[int, int]]:
    """Token spans of `haystack` where `needle` appears as a run of words."""
    if not needle or len(needle) > len(haystack):
        return []
    size = len(needle)
    return [
        (start, start + size)
        for start in range(len(haystack) - size + 1)
        if all(same_word(haystack[start + i], needle[i]) for i in range(size))
    ]


def states(text: str, phrase: str) -> bool:
    """Does `text` contain `phrase` as a run of words (case-, punctuation- and plural-insensitive)?"""
    return bool(_occurrences(normalize_tokens(text), normalize_tokens(phrase)))


def stated_choices(answer: str, choices: Sequence[str]) -> list[int]:
    """Indexes of the choices the answer states; a choice found only inside a longer one doesn't count."""
    answer_tokens = normalize_tokens(answer)
    found = [
        (index, span)
        for index, choice in enumerate(choices)
        for span in _occurrences(answer_tokens, normalize_tokens(choice))
    ]
    stated: set[int] = set()
    for index, (start, end) in found:
        # "Bills" inside "Buffalo Bills" is part of that other choice, not a separate statement.
        inside_longer = any(
            other != index and s <= start and end <= e and (e - s) > (end - start) for other, (s, e) in found
        )
        if not inside_longer:
            stated.add(index)
    return sorted(stated)


def gold_choice(answers: Sequence[str], choices: Sequence[str]) -> int | None:
    """Which choice is the gold answer (None when there are no choices or none matches)."""
    for answer in answers:
        wanted = normalize_tokens(answer)
        for index, choice in enumerate(choices):
            choice_tokens = normalize_tokens(choice)
            if len(choice_tokens) == len(wanted) and all(map(same_word, choice_tokens, wanted)):
                return index
    return None


def points_at_choice(answer: str, choices: Sequence[str], question: str = "") -> int | None:
    """The one choice whose distinguishing words the answer uses, if exactly one (a lenient check).

    A choice's distinguishing words are those no other choice and not the question has: "The Bills"
    points at "Buffalo Bills" among NFL teams, "Sesame has been added" at "Sesame seeds" among seeds.
    """
    # Words of the question don't distinguish: "wind energy" answers "which renewable energy ...?".
    ignored = FUNCTION_WORDS | {fold_plural(t) for t in normalize_tokens(question)}
    folded = [{fold_plural(t) for t in normalize_tokens(c)} - ignored for c in choices]
    said = {fold_plural(t) for t in normalize_tokens(answer)}
    pointed = [
        index
        for index, words in enumerate(folded)
        if words - set().union(*(w for i, w in enumerate(folded) if i != index)) & said
    ]
    return pointed[0] if len(pointed) == 1 else None


def token_f1(answer: str, gold: str) -> float:
    """SQuAD-style token F1 after normalisation."""
    predicted = Counter(fold_plural(t) for t in normalize_tokens(answer))
    expected = Counter(fold_plural(t) for t in normalize_tokens(gold))
    common = sum((predicted & expected).values())
    if not common:
        return 0.0
    precision = common / sum(predicted.values())
    recall = common / sum(expected.values())
    return 2 * precision * recall / (precision + recall)


def states_value(answer: str, value: str) -> bool:
    """Does `answer` state `value`? Numbers, dates and amounts by what they mean ("eight" is "8",
    "$1.1 billion" is "1,100,000,000 dollars"), words folded; a value of function words only ("before")
    as a phrase."""
    wanted = stated_words(value)
    return wanted <= stated_words(answer) if wanted else states(answer, value)


def judge_answer(
    answer: str,
    abstained: bool,
    answers: Sequence[str],
    choices: Sequence[str] = (),
    question: str = "",
    key_values: Sequence[str] = (),
    kind: str | None = None,
) -> dict[str, Any]:
    """Verdict on one answer: with choices, correct = states the gold choice and no other one; with key
    values (questions across articles), correct = states every one of them, an order question's first
    one (what came first, "before") in its verdict, before the first colon ("Kestle bridge came first: …"
    names both bridges after it); else correct = an answer contains a gold answer (exact match and token
    F1 reported too)."""
    if key_values:
        text = strip_markers(answer)
        verdict = text.split(":", 1)[0] if kind == "order" else text
        held = (
            []
            if abstained
            else [v for n, v in enumerate(key_values) if states_value(verdict if n == 0 else text, v)]
        )
        correct = len(held) == len(key_values)
        return {"mode": "key_values", "correct": correct, "lenient": bool(held), "stated": held}
    gold = gold_choice(answers, choices)
    if gold is not None:
        stated = [] if abstained else stated_choices(answer, choices)
        return {
            "mode": "choices",
            "correct": stated == [gold],
            "lenient": not abstained and points_at_choice(answer, choices, question) == gold,
            "stated": [choices[i] for i in stated],
        }
    if abstained or not answers:
        return {"mode": "free", "correct": False, "lenient": False, "exact": False, "f1": 0.0}
    answer_tokens = normalize_tokens(answer)
    exact = any(
        len(g) == len(answer_tokens) and all(map(same_word, answer_tokens, g))
        for g in map(normalize_tokens, answers)
    )
    # "6 houses were lost" states the gold "Six": numbers, dates and amounts count by value.
    said = strip_markers(answer)
    contains = any(states(answer, gold) or states_value(said, gold) for gold in answers)
    return {
        "mode": "free",
        "correct": exact or contains,
        "lenient": exact or contains,
        "exact": exact,
        "f1": round(max(token_f1(answer, g) for g in answers), 4),
    }


def judge_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """`judge_answer` again on a results.jsonl line, so a scoring fix applies to earlier runs too."""
    return judge_answer(
        record["answer"],
        record["abstained"],
        record.get("answers", []),
        record.get("choices", []),
        record.get("question", ""),
        record.get("key_values", []),
        record.get("type"),
    )


def count_valid_markers(answer: str, sources_given: int) -> int:
    """[n] markers left in a checked answer that point at one of the `sources_given` sources."""
    return sum(1 for n in cited_numbers(answer) if 1 <= n <= sources_given)


def citation_validity(valid: int, invalid: int) -> float | None:
    """Share of citation markers that pointed at a given source (None when there were none)."""
    total = valid + invalid
    return valid / total if total else None
