"""Scoring answers to questions across articles (issue 22): every key value stated, by what it means."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.eval.scoring import judge_answer

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("answer", "key_values", "correct"),
    [
        ("No: CNN said at least 22 deaths, USA Today at least 18 [1][2].", ["22", "18"], True),
        ("CNN said 22 [1].", ["22", "18"], False),
        ("It rose from twenty-seven to thirty-seven.", ["27", "37"], True),  # values by what they mean
        ("Oli resigned before Kirk was shot [1].", ["before"], True),  # a value of function words only
        ("Oli resigned after Kirk was shot [1].", ["before"], False),
        (
            "The lying in state drew about 65,000, the funeral 60,000.",
            ["lying in state", "65,000", "60,000"],
            True,
        ),
    ],
)
def test_an_answer_across_articles_is_right_when_it_states_every_key_value(
    answer: str, key_values: list[str], correct: bool
) -> None:
    verdict = judge_answer(answer, False, ["gold"], [], "", key_values)
    assert verdict["mode"] == "key_values" and verdict["correct"] is correct
    assert not judge_answer(answer, True, ["gold"], [], "", key_values)["correct"]  # a decline is not right


def test_questions_across_articles_keep_their_type_and_key_values(tmp_path: Path) -> None:
    from qa.eval.questions import load_questions

    path = tmp_path / "q.jsonl"
    row = {"id": "x-1", "question": "q?", "answers": ["a"], "type": "order", "key_values": ["before"]}
    path.write_text(json.dumps(row) + "\n")
    (question,) = load_questions(path)
    assert (question.kind, question.key_values) == ("order", ("before",))
    assert question.fields()["type"] == "order" and question.fields()["key_values"] == ["before"]


def test_the_summary_gives_accuracy_per_kind_of_question_across_articles() -> None:
    from qa.eval.metrics import summarize

    def record(kind: str, answer: str) -> dict:
        return {
            "id": kind + answer, "question": "q?", "answers": ["x"], "choices": [], "gold_ids": ["a", "b"],
            "type": kind, "key_values": ["22"], "answer": answer, "abstained": False,
            "verdict": {"valid_markers": 1, "invalid_markers": 0, "cited_supported": []},
            "retrieved": [], "timings_ms": {}, "citations": [], "cited_articles": [],
        }  # fmt: skip

    records = [record("order", "22 [1]."), record("order", "18 [1]."), record("change", "22 [2].")]
    by_type = summarize(records, {})["by_type"]
    assert by_type == {
        "change": {"questions": 1, "accuracy": 1.0},
        "order": {"questions": 2, "accuracy": 0.5},
    }


@pytest.mark.parametrize(
    ("answer", "correct"),
    [
        ("6 houses were lost in the wildfire [1].", True),  # "6" is the gold "Six", by value
        ("Six homes were destroyed [1].", True),
        ("Sixteen homes were lost [1].", False),
        ("60 houses were lost [1].", False),
    ],
)
def test_a_free_answer_states_a_number_gold_by_value(answer: str, correct: bool) -> None:
    verdict = judge_answer(answer, False, ["Six", "six homes"])
    assert verdict["mode"] == "free" and verdict["correct"] is correct
