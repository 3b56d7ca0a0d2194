"""The `qa eval` command line: its options, running them, and the few lines printed at the end.

Only the standard library is imported at module level, so `qa --help` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa.eval.runner import EvalOutcome
    from qa.service import NewsDesk


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    """The `qa eval` options."""
    parser.add_argument("--articles", type=Path, help="articles JSONL (id, url, title, published, text)")
    parser.add_argument(
        "--questions", type=Path, help="questions JSONL (id, question, answers, choices, gold_ids)"
    )
    parser.add_argument("--limit", type=int, help="only the first N questions (after --filter)")
    parser.add_argument(
        "--filter",
        dest="prefix",
        metavar="PREFIX",
        help="only question ids starting with this, e.g. rtqa-20230106",
    )
    parser.add_argument("--retrieval-only", action="store_true", help="rank articles only; no LLM needed")
    parser.add_argument(
        "--asked-later",
        dest="asked_later_days",
        type=int,
        metavar="DAYS",
        help="re-ask only the questions without time words, each dated DAYS later (e.g. 365)",
    )
    parser.add_argument("--k", type=int, help="chunks the answer step sees (default: QA_K or 5)")
    parser.add_argument(
        "--out",
        type=Path,
        help="run directory (default: resume a matching unfinished run, else runs/<UTC time>)",
    )
    parser.add_argument(
        "--collection",
        help="index the corpus into this collection, which must hold nothing else (default: 'eval-' and a "
        "hash of the corpus and index settings, so the same corpus reuses its index)",
    )
    parser.add_argument(
        "--data-dir", type=Path, help="where the index lives (default: QA_DATA_DIR or ./data)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument(
        "--compare", nargs=2, type=Path, metavar=("RUN_A", "RUN_B"), help="print metric deltas of two runs"
    )


def run_from_args(args: argparse.Namespace, desk: NewsDesk) -> int:
    """Run what the parsed `qa eval` arguments ask for; returns the exit code."""
    from qa.eval.compare import compare_runs
    from qa.eval.runner import EvalOptions, run_eval

    if args.compare:
        print(compare_runs(*args.compare))
        return 0
    if args.articles is None or args.questions is None:
        print("error: qa eval needs --articles and --questions (or --compare RUN_A RUN_B)", file=sys.stderr)
        return 2
    for path in (args.articles, args.questions):
        if not Path(path).is_file():
            print(f"error: no such file: {path}", file=sys.stderr)
            return 2
    options = EvalOptions(
        articles=args.articles,
        questions=args.questions,
        out=args.out,
        limit=args.limit,
        prefix=args.prefix,
        retrieval_only=args.retrieval_only,
        asked_later_days=args.asked_later_days,
        progress=not args.quiet,
        collection=args.collection,
    )
    outcome = run_eval(options, desk)
    print(format_summary(outcome))
    if outcome.interrupted:
        print("interrupted: run the same command again to resume", file=sys.stderr)
        return 130
    return 0


def format_summary(outcome: EvalOutcome) -> str:
    """A few lines for the terminal: the headline figures and where the files are."""
    from qa.eval.report import number as _number
    from qa.eval.rundir import REPORT_FILE, RESULTS_FILE, SUMMARY_FILE

    s = outcome.summary
    r, b = s["retrieval"], s["bm25"]
    lines = [
        f"{s['questions']} questions ({s['answerable']} answerable); evaluated {outcome.evaluated} now, "
        f"{outcome.resumed} from an earlier run; {s['errors']} errors",
        "retrieval   " + "  ".join(f"{k} {_number(v)} (BM25 {_number(b.get(k))})" for k, v in r.items()),
    ]
    if not s["config"].get("retrieval_only"):
        a, ab, c = s["answer"], s["abstention"], s["citations"]
        lat = s["latency_ms"]
        lines += [
            f"answers     accuracy answerable {_number(a['accuracy_answerable'])}, "
            f"all {_number(a['accuracy_all'])}",
            f"abstention  no-gold {_number(ab['no_gold_abstain_rate'])}, "
            f"answerable {_number(ab['answerable_abstain_rate'])}",
            f"citations   validity {_number(c['validity'])}, precision {_number(c['precision'])}",
            f"latency     answer p50 {_number(lat['answer_p50'])} ms, p95 {_number(lat['answer_p95'])} ms; "
            f"first token p50 {_number(lat['first_token_p50'])} ms",
        ]
    lines.append(f"results in {outcome.out_dir}/ ({RESULTS_FILE}, {SUMMARY_FILE}, {REPORT_FILE})")
    return "\n".join(lines)
