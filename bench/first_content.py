"""Time to first useful content: from a question to its sources being known, and to the answer's first token.

    python bench/first_content.py [--limit 4] [--llm local|fake] [--cli]
    QA_DATA_DIR=DIR python bench/first_content.py --questions QUESTIONS.jsonl [--limit 5] [--cli]

Without --questions it ingests the bundled sample into a fresh data dir and asks the sample questions
(bench/shared.py); with --questions it asks the first `--limit` questions of that set (each on its own
question date) on the index already built in QA_DATA_DIR. Every question goes through the product as the
web chat and `qa ask` ask it (`NewsDesk.stream`), with the model kept warm as the chat keeps it: the
clock starts when the question is handed over; "sources" stops when `AnswerStream.sources` is known
(retrieval, evidence and the judgment: what the chat's panel and `qa ask` show first); "first token" when
the model's first checked piece arrives. Questions declined before the model show their closest articles
at once and have no first token: counted apart. `--cli` also runs one `qa ask` as a new process (imports,
embedding model and LLM loaded cold) and times its "Reading" lines on stderr against its first answer
byte on stdout. `--llm fake` (instant FAKE answers) checks the script itself; the figures need `local`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from shared import SAMPLE_QUESTIONS, median_and_p95  # noqa: E402  (bench/, beside this script)

TARGET_SOURCES_S = 1.0  # issue 23: something useful on screen in under a second


def _questions(path: Path | None, limit: int) -> list[tuple[str, str | None]]:
    """(question, the day it is asked on) pairs: the sample's, or the first `limit` of a question set."""
    if path is None:
        return [(q, None) for q in SAMPLE_QUESTIONS[:limit]]
    from qa.eval.questions import load_questions

    return [(q.question, q.question_date) for q in load_questions(path, limit=limit)]


def _cli_first_content(question: str, env: dict[str, str]) -> tuple[float | None, float | None, float]:
    """`qa ask` as a new process: seconds to its first "Reading" line on stderr, to its first byte of
    answer on stdout, and to its end."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "qa", "ask", question],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: dict[str, float] = {}

    def watch_stderr() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            if "sources" not in seen and line.startswith(("Reading", "Closest articles")):
                seen["sources"] = time.perf_counter() - started

    watcher = threading.Thread(target=watch_stderr, daemon=True)
    watcher.start()
    assert process.stdout is not None
    if process.stdout.read(1):
        seen["answer"] = time.perf_counter() - started
    process.stdout.read()
    process.wait()
    watcher.join(timeout=10)
    if process.returncode != 0:
        raise SystemExit(f"qa ask failed ({process.returncode})")
    return seen.get("sources"), seen.get("answer"), time.perf_counter() - started


def main() -> None:
    """Ask the questions and print the time to the sources and to the first token, p50 and p95."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--questions", type=Path, help="a question set (JSONL); default: the sample's")
    parser.add_argument("--limit", type=int, default=len(SAMPLE_QUESTIONS))
    parser.add_argument("--llm", choices=["local", "fake"], default="local")
    parser.add_argument("--cli", action="store_true", help="also time one `qa ask` as a new process")
    args = parser.parse_args()

    from datetime import date

    from qa.service import NewsDesk
    from qa.settings import Settings

    overrides: dict[str, object] = {"llm_mode": args.llm}
    if args.questions is None:
        overrides["data_dir"] = Path(tempfile.mkdtemp(prefix="newsdesk-bench-"))
    settings = Settings(**overrides)  # type: ignore[arg-type]
    desk = NewsDesk(settings)
    if args.questions is None:
        desk.ingest([REPO / "samples"], progress=False)
    started = time.perf_counter()
    desk.warm_up()
    print(f"llm {desk.llm_label}; model and embedder loaded in {time.perf_counter() - started:.1f} s")

    sources_s: list[float] = []
    first_token_s: list[float] = []
    declined = 0
    for question, asked_on in _questions(args.questions, args.limit):
        as_of = date.fromisoformat(asked_on) if asked_on else None
        started = time.perf_counter()
        answer = desk.stream(question, as_of=as_of)
        shown = answer.sources
        to_sources = time.perf_counter() - started
        to_first = next((time.perf_counter() - started for _ in answer), None)
        result = answer.result
        sources_s.append(to_sources)
        if answer.declined or result.timings.first_token_ms is None or to_first is None:
            declined += 1
            print(f"  sources {to_sources * 1000:6.0f} ms ({len(shown)} closest), declined: {question}")
            continue
        first_token_s.append(to_first)
        print(
            f"  sources {to_sources * 1000:6.0f} ms ({len(shown)}), first token {to_first:6.1f} s, "
            f"answer {result.timings.total_ms / 1000:6.1f} s: {question}",
            flush=True,
        )
    desk.close()

    print(f"\n{len(sources_s)} questions, {declined} declined before the model (no first token)")
    for label, values, unit in (("sources", sources_s, 1000), ("first token", first_token_s, 1)):
        p50, p95 = median_and_p95(values)
        suffix = "ms" if unit == 1000 else "s"
        print(f"time to {label:12}: p50 {p50 * unit:8.1f} {suffix}, p95 {p95 * unit:8.1f} {suffix}")
    p50, _ = median_and_p95(sources_s)
    print(f"sources within {TARGET_SOURCES_S:.0f} s (p50): {'yes' if p50 <= TARGET_SOURCES_S else 'NO'}")

    if args.cli:
        question = _questions(args.questions, 1)[0][0]
        env = {**os.environ, "QA_DATA_DIR": str(settings.data_dir), "QA_LLM_MODE": args.llm}
        to_sources, to_answer, total = _cli_first_content(question, env)
        shown = f"{to_sources:.1f} s" if to_sources is not None else "never"
        answered = f"{to_answer:.1f} s" if to_answer is not None else "never"
        print(
            f"`qa ask` as a new process: sources on stderr at {shown}, first answer byte at {answered}, "
            f"done at {total:.1f} s"
        )


if __name__ == "__main__":
    main()
