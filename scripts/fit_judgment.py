"""Fit the evidence judgment on one dev set's runs and report it on another's: weights, threshold, curve.

Reads `results.jsonl` of `qa eval --retrieval-only` runs (made with QA_MIN_BEST_SCORE=-1 and QA_MIN_SCORE=-1,
so that every question's evidence is judged): each line holds the judgment's signals and whether a
sentence given to the model states a gold answer (the label). Fits a logistic model on the --fit runs,
picks a threshold under the lowest probability of a fit question whose evidence states the answer (less
--margin), and prints what that does on the --report runs, with the trade-off curve of the threshold.

    python scripts/fit_judgment.py --fit runs/r-2023-questions runs/r-2023-questions-later \\
        --report runs/r-2025-questions runs/r-2025-questions-later

With --answers, also replays the judgment over answer runs made with QA_JUDGMENT_MIN=0 (every question
the other rules let through was asked of the model) and prints the answer figures of the shipped weights
at the shipped threshold and of this fit at its own. The judgment only decides whether the model is
called, so the replay gives what a run at that setting would have: a question under the threshold is
declined (`not_stated`), any other keeps its recorded answer.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa.answer.judgment import DEFAULT_MODEL, FEATURES, JudgmentModel, evidence_signals  # noqa: E402
from qa.eval.judging import declined_with_evidence, truthfulness  # noqa: E402
from qa.eval.scoring import judge_record  # noqa: E402
from qa.results import AbstainReason, GivenSource, Signals  # noqa: E402
from qa.settings import Settings  # noqa: E402

CURVE = [round(0.05 * i, 2) for i in range(1, 20)]


def load(run_dirs: Sequence[Path]) -> list[dict]:
    """Every result line of the runs, tagged: a later-week question (its run's name says so) or not."""
    records = []
    for run in run_dirs:
        for line in (run / "results.jsonl").read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if "error" not in record:
                records.append({**record, "later": "later" in run.name})
    return records


def signals_of(record: dict) -> Signals | None:
    """The signals of a record, read again from its recorded evidence with this code (None: declined
    before the evidence was judged). The searches' agreement is taken as recorded."""
    judgment = record.get("judgment")
    if not judgment:
        return None
    if "_signals" not in record:
        recorded = judgment["signals"]
        sources = [
            GivenSource(s["n"], s["article_id"], s["published"], tuple(s["sentences"]))
            for s in record["evidence"]
        ]
        first = sources[0].article_id if sources and recorded["agreement"] else None
        agreeing = (first,) if first else ()
        record["_signals"] = evidence_signals(
            record["question"],
            sources,
            best_score=recorded["best_score"],
            dense_articles=agreeing,
            keyword_articles=agreeing,
        )
    return record["_signals"]


def fit(records: Sequence[dict], l2: float = 0.01, features: Sequence[str] = FEATURES) -> JudgmentModel:
    """A logistic model of `evidence_states_answer` from the signals (Newton's method, L2-regularised)."""
    rows = [(signals_of(r), bool(r["evidence_states_answer"])) for r in records]
    rows = [(s, y) for s, y in rows if s is not None]
    x = np.array([[1.0, *(s.features()[name] for name in features)] for s, _ in rows])
    y = np.array([1.0 if label else 0.0 for _, label in rows])
    w = np.zeros(x.shape[1])
    penalty = np.eye(x.shape[1]) * l2
    penalty[0, 0] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-x @ w))
        gradient = x.T @ (p - y) + penalty @ w
        hessian = x.T @ (x * (p * (1 - p))[:, None]) + penalty
        w -= np.linalg.solve(hessian, gradient)
    return JudgmentModel(
        weights={name: round(float(v), 3) for name, v in zip(features, w[1:], strict=True)},
        intercept=round(float(w[0]), 3),
        fitted_on="",
    )


def probability(model: JudgmentModel, record: dict) -> float | None:
    """The model's probability for a record (None: declined before the judgment)."""
    signals = signals_of(record)
    return None if signals is None else model.probability(signals)


def outcome(model: JudgmentModel, records: Sequence[dict], threshold: float) -> dict[str, float]:
    """Decline shares at `threshold`: answerable questions whose evidence held the answer, and the rest."""

    def declined(record: dict) -> bool:
        p = probability(model, record)
        return p is None or p < threshold

    answerable = [r for r in records if r.get("gold_ids")]
    later = [r for r in records if r["later"]]
    no_gold = [r for r in records if not r.get("gold_ids") and not r["later"]]
    wrong = [r for r in answerable if declined(r) and r["evidence_states_answer"]]
    return {
        "wrong_declines": len(wrong) / max(len(answerable), 1),
        "answerable_declined": sum(map(declined, answerable)) / max(len(answerable), 1),
        "no_gold_declined": sum(map(declined, no_gold)) / max(len(no_gold), 1),
        "later_declined": sum(map(declined, later)) / max(len(later), 1),
        "n_answerable": len(answerable),
        "n_later": len(later),
        "n_no_gold": len(no_gold),
    }


def auc(model: JudgmentModel, records: Sequence[dict]) -> float:
    """How well the probability separates evidence that states the answer from evidence that does not."""
    scored = [(probability(model, r), r["evidence_states_answer"]) for r in records]
    pos = [p for p, y in scored if p is not None and y]
    neg = [p for p, y in scored if p is not None and not y]
    if not pos or not neg:
        return math.nan
    return sum((a > b) + 0.5 * (a == b) for a in pos for b in neg) / (len(pos) * len(neg))


def pick_threshold(model: JudgmentModel, records: Sequence[dict], margin: float) -> float:
    """The lowest probability of a fitting question whose evidence states the answer, less `margin` (a
    share): a threshold that declines none of them, with room for questions asked otherwise."""
    stated = [
        p
        for r in records
        if r.get("gold_ids") and r["evidence_states_answer"] and (p := probability(model, r)) is not None
    ]
    return round(min(stated, default=0.0) * (1 - margin), 2)


def report(name: str, model: JudgmentModel, records: Sequence[dict], threshold: float) -> None:
    """Print the figures at `threshold` and the curve."""
    figures = outcome(model, records, threshold)
    print(f"\n## {name}: AUC {auc(model, records):.3f}, threshold {threshold}")
    print(json.dumps({k: round(v, 3) for k, v in figures.items()}))
    print("threshold | wrong declines | answerable declined | no-gold declined | later declined")
    for t in CURVE:
        f = outcome(model, records, t)
        print(
            f"{t:.2f} | {f['wrong_declines']:.3f} | {f['answerable_declined']:.3f} | "
            f"{f['no_gold_declined']:.3f} | {f['later_declined']:.3f}"
        )


def replayed(model: JudgmentModel, records: Sequence[dict], threshold: float) -> list[dict]:
    """The answer run's records as a run with `model` at `threshold` would have left them."""
    out = []
    for record in records:
        if record.get("abstain_reason") == AbstainReason.NOT_STATED:
            raise SystemExit(
                f"{record['id']} was declined by the run's own judgment: run with QA_JUDGMENT_MIN=0"
            )
        p = probability(model, record)
        reason = record.get("abstain_reason")
        if p is not None and p < threshold and reason not in _WHATEVER_THE_THRESHOLD:
            record = {**record, "abstained": True, "abstain_reason": AbstainReason.NOT_STATED.value}
        out.append(record)
    return out


# Declines before the model that do not rest on the judgment: they stand whatever its threshold.
_WHATEVER_THE_THRESHOLD = {
    AbstainReason.NO_RELEVANT_PASSAGE,
    AbstainReason.PERIOD_NOT_COVERED,
    AbstainReason.NO_SOURCE_IN_PERIOD,
}


def answer_figures(records: Sequence[dict]) -> dict[str, object]:
    """Strict accuracy, declines and truthfulness of (replayed) answer records, as counts and shares."""
    answerable = [r for r in records if r.get("gold_ids")]
    later = [r for r in records if r["later"]]
    no_gold = [r for r in records if not r.get("gold_ids") and not r["later"]]
    right = [r for r in answerable if judge_record(r)["correct"]]
    later_ok = [r for r in later if r["abstained"] or judge_record(r)["correct"]]
    reasons: dict[str, int] = {}
    for r in records:
        if r["abstained"]:
            reasons[r["abstain_reason"]] = reasons.get(r["abstain_reason"], 0) + 1

    def share(part: Sequence[dict], whole: Sequence[dict]) -> str:
        return f"{len(part) / len(whole):.3f} ({len(part)}/{len(whole)})" if whole else "-"

    return {
        "accuracy_answerable": share(right, answerable),
        "declined_with_evidence": declined_with_evidence(answerable),
        "answerable_declined": share([r for r in answerable if r["abstained"]], answerable),
        "no_gold_declined": share([r for r in no_gold if r["abstained"]], no_gold),
        "later_declined_or_right": share(later_ok, later),
        "truthfulness": truthfulness(records),
        "llm_called": sum(1 for r in records if r.get("llm_called") and not _replayed_decline(r)),
        "declined_by": dict(sorted(reasons.items())),
    }


def _replayed_decline(record: dict) -> bool:
    return record.get("abstain_reason") == AbstainReason.NOT_STATED


def report_answers(runs: Sequence[Path], model: JudgmentModel, threshold: float) -> None:
    """The answer figures of the shipped judgment and of this fit, replayed over `runs`."""
    records = load(runs)
    shipped = Settings.model_fields["judgment_min"].default
    for name, m, t in (("shipped weights", DEFAULT_MODEL, shipped), ("this fit", model, threshold)):
        print(f"\n## answers, {name} at {t}: {', '.join(str(r) for r in runs)}")
        print(json.dumps(answer_figures(replayed(m, records, t))))


def main() -> None:
    """Fit on --fit, report on --fit and --report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--fit", nargs="+", type=Path, required=True)
    parser.add_argument("--report", nargs="+", type=Path, default=[])
    parser.add_argument("--margin", type=float, default=0.3, help="threshold: lowest stated, less this share")
    parser.add_argument("--l2", type=float, default=0.01)
    parser.add_argument("--features", nargs="+", default=list(DEFAULT_MODEL.weights), choices=FEATURES)
    parser.add_argument(
        "--answers",
        nargs="+",
        type=Path,
        default=[],
        help="answer runs made with QA_JUDGMENT_MIN=0 to replay",
    )
    args = parser.parse_args()
    fit_records = load(args.fit)
    model = fit(fit_records, args.l2, args.features)
    threshold = pick_threshold(model, fit_records, args.margin)
    print("weights:", json.dumps(model.to_json()))
    report("fitted on", model, fit_records, threshold)
    if args.report:
        report("reported on", model, load(args.report), threshold)
    if args.answers:
        report_answers(args.answers, model, threshold)


if __name__ == "__main__":
    main()
