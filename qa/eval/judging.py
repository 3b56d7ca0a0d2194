"""Figures of the evidence judgment from result lines: truthfulness, wrong declines, per week, the curve.

A decline is only wrong when a sentence given to the model stated a gold answer
(`evidence_states_answer`); truthfulness is (right answers - wrong answers) / all questions, so an honest
"I can't find that" scores 0 and a wrong answer -1. The curve replays the judgment's threshold
(`QA_JUDGMENT_MIN`) over the recorded probabilities: a question declined for another reason stays
declined; one the run's threshold declined has no answer to score below its own probability (counted
as `unknown`: run with `QA_JUDGMENT_MIN=0` for the whole curve).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from qa.eval.scoring import judge_record

Record = Mapping[str, Any]
CURVE_THRESHOLDS = tuple(round(0.04 * i, 2) for i in range(0, 13))  # 0 to 0.48
_WEEK_IN_ID = re.compile(r"(20\d{6})")
NOT_STATED = "not_stated"


def truthfulness(records: Sequence[Record]) -> float | None:
    """(right answers - wrong answers) / all questions; a decline counts 0."""
    if not records:
        return None
    score = sum(_score(r, bool(r["abstained"])) for r in records)
    return round(score / len(records), 4)


def _score(record: Record, declined: bool) -> int:
    if declined:
        return 0
    return 1 if judge_record({**record, "abstained": False})["correct"] else -1


def declined_with_evidence(records: Sequence[Record]) -> float | None:
    """Share of answerable questions declined although a given sentence stated the answer."""
    answerable = [r for r in records if r.get("gold_ids")]
    if not answerable:
        return None
    wrong = [r for r in answerable if r["abstained"] and r.get("evidence_states_answer")]
    return round(len(wrong) / len(answerable), 4)


def week_of(record: Record) -> str:
    """The quiz week a question belongs to: the date in its id ("rtqa-20230106_3"), else its date's
    ISO week."""
    found = _WEEK_IN_ID.search(str(record.get("id", "")))
    if found:
        return found.group(1)
    asked = record.get("question_date")
    if not asked:
        return "undated"
    year, week, _ = date.fromisoformat(asked).isocalendar()
    return f"{year}-W{week:02d}"


def per_week(records: Sequence[Record]) -> dict[str, dict[str, Any]]:
    """Per quiz week: questions, strict accuracy on answerable ones, wrong declines, truthfulness."""
    weeks: dict[str, list[Record]] = {}
    for record in records:
        weeks.setdefault(week_of(record), []).append(record)
    table = {}
    for week, group in sorted(weeks.items()):
        answerable = [r for r in group if r.get("gold_ids")]
        right = [r for r in answerable if judge_record(r)["correct"]]
        table[week] = {
            "questions": len(group),
            "answerable": len(answerable),
            "accuracy_answerable": round(len(right) / len(answerable), 4) if answerable else None,
            "declined": round(sum(bool(r["abstained"]) for r in group) / len(group), 4),
            "declined_with_evidence": declined_with_evidence(group),
            "truthfulness": truthfulness(group),
        }
    return table


def judgment_curve(records: Sequence[Record]) -> list[dict[str, Any]]:
    """What each threshold of the judgment would have done to the recorded questions."""
    judged = [r for r in records if "verdict" in r]
    curve = []
    for threshold in CURVE_THRESHOLDS:
        outcomes = [_at(r, threshold) for r in judged]
        known = [(r, declined) for r, declined in zip(judged, outcomes, strict=True) if declined is not None]
        answerable = [(r, d) for r, d in known if r.get("gold_ids")]
        curve.append(
            {
                "threshold": threshold,
                "declined": _share([d for _, d in known]),
                "declined_with_evidence": _share(
                    [d and bool(r.get("evidence_states_answer")) for r, d in answerable]
                ),
                "accuracy_answerable": _share(
                    [not d and judge_record({**r, "abstained": False})["correct"] for r, d in answerable]
                ),
                "truthfulness": round(sum(_score(r, d) for r, d in known) / len(known), 4) if known else None,
                "unknown": len(judged) - len(known),
            }
        )
    return curve


def _at(record: Record, threshold: float) -> bool | None:
    """Declined at `threshold`? None: declined by the run's own threshold, so its answer is unknown."""
    judgment = record.get("judgment") or {}
    probability = judgment.get("probability")
    reason = record.get("abstain_reason")
    if probability is None or (record["abstained"] and reason != NOT_STATED):
        return bool(record["abstained"])  # declined (or answered) whatever the threshold
    if probability < threshold:
        return True
    return None if reason == NOT_STATED else False


def _share(flags: Sequence[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None
