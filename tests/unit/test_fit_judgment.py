"""scripts/fit_judgment.py: the judgment's weights are fitted from recorded signals, its threshold by rule."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.unit


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fit_judgment", REPO_ROOT / "scripts" / "fit_judgment.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _line(qid: str, question: str, sentences: list[str], *, gold: bool, states: bool) -> dict:
    return {
        "id": qid,
        "question": question,
        "gold_ids": ["a"] if gold else [],
        "evidence": [{"n": 1, "article_id": "a", "published": None, "sentences": sentences}],
        "judgment": {"signals": {"best_score": 0.5, "agreement": 1.0}},
        "evidence_states_answer": states,
    }


def test_weights_favour_evidence_that_covers_the_question_and_the_threshold_declines_none_that_states_it(
    tmp_path: Path,
) -> None:
    asked = {
        "c": ("How many cables were replaced on bridge {}?", True),
        "u": ("Which minister resigned over {}?", False),
    }
    lines = [
        _line(f"{kind}{i}", question.format(i), [f"Bridge {i} had 2{i} cables replaced."], gold=on, states=on)
        for kind, (question, on) in asked.items()
        for i in range(8)
    ]
    run = tmp_path / "run"
    run.mkdir()
    (run / "results.jsonl").write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    script = _script()
    records = script.load([run])
    model = script.fit(records, 0.1, ("coverage", "source_coverage"))
    assert model.weights["source_coverage"] > 0
    threshold = script.pick_threshold(model, records, 0.3)
    lowest = min(script.probability(model, r) for r in records if r["evidence_states_answer"])
    assert threshold == round(lowest * 0.7, 2)
    figures = script.outcome(model, records, threshold)
    assert figures["wrong_declines"] == 0.0 and figures["no_gold_declined"] == 1.0
    assert script.auc(model, records) == 1.0


def test_answer_runs_are_replayed_at_a_threshold_declining_only_what_the_judgment_would(
    tmp_path: Path,
) -> None:
    covered = _line(
        "c",
        "How many cables were replaced on the bridge?",
        ["The bridge had 212 cables replaced."],
        gold=True,
        states=True,
    )
    uncovered = _line(
        "u",
        "Which minister resigned over the budget?",
        ["The bridge had 212 cables replaced."],
        gold=False,
        states=False,
    )
    answered = {"abstained": False, "abstain_reason": None, "llm_called": True, "choices": []}
    lines = [
        {**covered, **answered, "answer": "212 cables were replaced [1].", "answers": ["212"]},
        {**uncovered, **answered, "answer": "Jane Doe resigned [1].", "answers": ["John Roe"]},
        {
            **uncovered,
            "id": "p",
            "abstained": True,
            "abstain_reason": "period_not_covered",
            "judgment": None,
            "answer": "I can't find that in the indexed articles.",
            "answers": ["x"],
            "choices": [],
        },
    ]
    run = tmp_path / "answers"
    run.mkdir()
    (run / "results.jsonl").write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    script = _script()
    records = script.load([run])
    p_covered, p_uncovered = (script.probability(script.DEFAULT_MODEL, r) for r in records[:2])
    assert p_uncovered < p_covered
    between = (p_covered + p_uncovered) / 2
    replayed = script.replayed(script.DEFAULT_MODEL, records, between)
    assert [(r["abstained"], r["abstain_reason"]) for r in replayed] == [
        (False, None),
        (True, "not_stated"),
        (True, "period_not_covered"),
    ]
    figures = script.answer_figures(replayed)
    assert figures["accuracy_answerable"] == "1.000 (1/1)"
    assert figures["truthfulness"] == round(1 / 3, 4)  # the wrong answer is now a decline
    assert figures["declined_by"] == {"not_stated": 1, "period_not_covered": 1}
    assert script.answer_figures(script.replayed(script.DEFAULT_MODEL, records, 0.0))["truthfulness"] == 0.0
    declined_by_run = [{**records[0], "abstained": True, "abstain_reason": "not_stated"}]
    with pytest.raises(SystemExit, match="QA_JUDGMENT_MIN=0"):
        script.replayed(script.DEFAULT_MODEL, declined_by_run, 0.1)
