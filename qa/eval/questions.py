"""Evaluation questions in the dev sets' format (docs/EVALUATION.md, "The dev sets")."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from qa.errors import EvalError
from qa.text.dates import parse_date


@dataclass(frozen=True)
class Question:
    """One evaluation question: what is asked, the gold answer and choices, the articles that state it."""

    id: str
    question: str
    answers: tuple[str, ...]
    choices: tuple[str, ...] = ()
    gold_ids: tuple[str, ...] = ()
    source: str | None = None
    question_date: str | None = None
    kind: str | None = None  # the set's `type`: "comparison", "order", "change", "disagreement"
    key_values: tuple[str, ...] = ()  # what a right answer must state, each (questions across articles)

    @property
    def asked_on(self) -> date | None:
        """The question's reference date (what "this week" in it means), when the set gives one."""
        return parse_date(self.question_date)

    @property
    def answerable(self) -> bool:
        """Whether an article in the corpus is known to state the answer."""
        return bool(self.gold_ids)

    def asked_later(self, days: int) -> Question:
        """The same question with its date `days` later (no date: unchanged)."""
        asked = self.asked_on
        if asked is None:
            return self
        return replace(self, question_date=(asked + timedelta(days=days)).isoformat())

    def fields(self) -> dict[str, Any]:
        """The question as the first fields of its results.jsonl line."""
        return {
            "id": self.id,
            "question": self.question,
            "answers": list(self.answers),
            "choices": list(self.choices),
            "gold_ids": list(self.gold_ids),
            "answerable": self.answerable,
            "source": self.source,
            "question_date": self.question_date,
            **({"type": self.kind} if self.kind else {}),
            **({"key_values": list(self.key_values)} if self.key_values else {}),
        }


def load_questions(path: Path, *, limit: int | None = None, prefix: str | None = None) -> list[Question]:
    """Questions from a JSONL file, those whose id starts with `prefix`, the first `limit` of them."""
    questions: list[Question] = []
    seen: set[str] = set()
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            question = _parse(line, f"{path}:{number}")
            if question.id in seen:
                raise EvalError(f"{path}:{number}: question id {question.id!r} appears twice")
            seen.add(question.id)
            if prefix and not question.id.startswith(prefix):
                continue
            questions.append(question)
    return questions[:limit] if limit is not None else questions


def _parse(line: str, where: str) -> Question:
    try:
        row = json.loads(line)
        return Question(
            id=str(row["id"]),
            question=str(row["question"]),
            answers=tuple(str(a) for a in row.get("answers") or ()),
            choices=tuple(str(c) for c in row.get("choices") or ()),
            gold_ids=tuple(str(g) for g in row.get("gold_ids") or ()),
            source=row.get("source"),
            question_date=row.get("question_date"),
            kind=row.get("type"),
            key_values=tuple(str(v) for v in row.get("key_values") or ()),
        )
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise EvalError(f"{where}: not a question record ({exc})") from exc
