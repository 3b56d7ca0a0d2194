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
