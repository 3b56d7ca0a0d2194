"""Time to first token and decoding speed of the local LLM, beside llama.cpp's own figures for them.

    QA_DATA_DIR=DIR python bench/llm_latency.py --questions QUESTIONS.jsonl [--limit 20]

Answers the first `--limit` questions of the set (each asked on its own question date) through the
product, exactly as `qa ask` does, with the settings from the environment (QA_*), on an index already
built in QA_DATA_DIR (for the dev set: `qa ingest` its articles.jsonl). Around each request the local
llama.cpp server's own counters (/metrics) are read, so the product's timings are set beside the
runtime's for the very same prompt and the same prompt cache: prompt tokens read anew and reused from
the cache, prompt reading speed, decoding speed. The first question after start is reported apart: it
also reads the fixed part of the prompt (instructions and worked example) that later questions reuse.
Questions declined before the model (no LLM call) are counted and left out of the figures.

The evidence judgment (issue 21) is timed in the same run: its signals and probability computed again
over each answered question's own evidence (best of 5), beside the first token it precedes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from shared import median_and_p95  # noqa: E402  (bench/, beside this script)

if TYPE_CHECKING:
    from qa.results import AnswerResult

TARGET_FIRST_TOKEN_S = 5.0  # issue 11: first token p50 on 2 cores
MAX_OVERHEAD = 0.10  # issue 11: the product's decoding within 10 % of the runtime's


def _delta(after: dict[str, float], before: dict[str, float], key: str) -> float:
    return after.get(key, 0.0) - before.get(key, 0.0)


def _ask_process(question: str, as_of: str | None) -> tuple[float, dict[str, object]]:
    """`qa ask --json` as its own process (a cold start: imports, embedder and model load): wall s."""
    command = [sys.executable, "-m", "qa", "ask", question, "--json"]
    if as_of:
        command += ["--as-of", as_of]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"qa ask failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds, json.loads(done.stdout)


def _judgment_ms(question: str, result: AnswerResult) -> float:
    """The evidence judgment's own time for one question (signals and probability), best of 5, in ms."""
    from qa.answer.judgment import DEFAULT_MODEL, evidence_signals

    evidence = result.evidence
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        DEFAULT_MODEL.probability(evidence_signals(question, evidence, best_score=0.5))
        best = min(best, time.perf_counter() - started)
    return best * 1000


def main() -> None:
    """Answer the questions and print the product's and the runtime's figures side by side."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=20)
    args = parser.parse_args()

    from qa.eval.questions import load_questions
    from qa.service import NewsDesk
    from qa.settings import Settings

    settings = Settings()
    if settings.llm_mode != "local":
        raise SystemExit("this benchmark measures the local model (QA_LLM_MODE=local)")
    desk = NewsDesk(settings)
    started = time.perf_counter()
    desk.warm_up()
    print(f"model and embedder loaded in {time.perf_counter() - started:.1f} s")
    print(
        f"settings: k={settings.k} evidence_sentences={settings.evidence_sentences} "
        f"next_sentence={settings.evidence_next_sentence} threads={settings.llm_threads}"
    )

    rows: list[dict[str, float]] = []
    declined = 0
    primed = False
    for question in load_questions(args.questions, limit=args.limit):
        before = desk.llm_runtime_counters() or {}
        stream = desk.stream(question.question, as_of=question.asked_on)
        for _ in stream:
            pass
        result = stream.result
        after = desk.llm_runtime_counters() or {}
        if result.timings.first_token_ms is None or _delta(after, before, "tokens_predicted_total") == 0:
            declined += 1
            continue
        row = {
            "total_s": result.timings.total_ms / 1000,
            "first_token_s": result.timings.first_token_ms / 1000,
            "prompt_tokens": float(result.prompt_tokens or 0),
            "new_tokens": _delta(after, before, "prompt_tokens_total"),
            "runtime_prompt_s": _delta(after, before, "prompt_seconds_total"),
            "product_tok_s": result.generation.tokens_per_s,
            "runtime_tok_s": _delta(after, before, "tokens_predicted_total")
            / max(1e-9, _delta(after, before, "tokens_predicted_seconds_total")),
            "generated": _delta(after, before, "tokens_predicted_total"),
        }
        if not primed:  # the first model call reads the fixed prefix too: reported apart
            primed = True
            print(
                f"first question after start: first token {row['first_token_s']:.1f} s, "
                f"{row['new_tokens']:.0f} of {row['prompt_tokens']:.0f} prompt tokens read anew"
            )
            continue
        row["judgment_ms"] = _judgment_ms(question.question, result)
        rows.append(row)
        print(
            f"  {question.id}: first token {row['first_token_s']:.1f} s (runtime reading "
            f"{row['runtime_prompt_s']:.1f} s), {row['new_tokens']:.0f}/{row['prompt_tokens']:.0f} "
            f"tokens new, decode {row['product_tok_s']:.1f} vs {row['runtime_tok_s']:.1f} tok/s",
            flush=True,
        )
    desk.close()
    if not rows:
        raise SystemExit("no question reached the model")
    asked = load_questions(args.questions, limit=args.limit)
    cold_s, _ = _ask_process(asked[1].question, asked[1].question_date)
    declined_s, declined_answer = _ask_process(
        "What did the committee decide about the zorblax tariff?", None
    )

    def p50_p95(key: str) -> tuple[float, float]:
        return median_and_p95([row[key] for row in rows])

    first_p50, first_p95 = p50_p95("first_token_s")
    read_p50, read_p95 = p50_p95("runtime_prompt_s")
    new_p50, new_p95 = p50_p95("new_tokens")
    prompt_p50, prompt_p95 = p50_p95("prompt_tokens")
    reading_speed = sum(r["new_tokens"] for r in rows) / sum(r["runtime_prompt_s"] for r in rows)
    product_speed, _ = p50_p95("product_tok_s")
    runtime_speed, _ = p50_p95("runtime_tok_s")
    overhead = 1 - product_speed / runtime_speed
    total_p50, total_p95 = p50_p95("total_s")
    print(f"\n{len(rows)} questions answered by the model ({declined} declined before it)")
    print(f"answer total, model warm (as in the web chat) p50/p95: {total_p50:.2f} / {total_p95:.2f} s")
    print(f"`qa ask` as a new process (cold: model loaded for it): {cold_s:.1f} s to the whole answer")
    print(
        f"`qa ask` declined before the model (abstained: {declined_answer.get('abstained')}): "
        f"{declined_s:.1f} s, the model never started"
    )
    print(f"prompt tokens p50/p95:            {prompt_p50:.0f} / {prompt_p95:.0f}")
    print(f"  read anew (not cached) p50/p95: {new_p50:.0f} / {new_p95:.0f}")
    print(f"runtime prompt reading:           {reading_speed:.1f} tokens/s")
    print(f"runtime reading time p50/p95:     {read_p50:.2f} / {read_p95:.2f} s")
    verdict = "met" if first_p50 <= TARGET_FIRST_TOKEN_S else "NOT met"
    print(
        f"first token p50/p95:              {first_p50:.2f} / {first_p95:.2f} s "
        f"(target p50 <= {TARGET_FIRST_TOKEN_S:.0f} s: {verdict};"
        f" {first_p50 - read_p50:.2f} s above the runtime's reading)"
    )
    judgment_p50, judgment_p95 = p50_p95("judgment_ms")
    print(
        f"evidence judgment p50/p95:        {judgment_p50:.2f} / {judgment_p95:.2f} ms "
        f"({judgment_p50 / 1000 / first_p50:.4%} of the first token; issue 21's bound: 1.5 s)"
    )
    print(
        f"decoding p50: product {product_speed:.1f} tok/s, runtime {runtime_speed:.1f} tok/s, overhead "
        f"{overhead:.1%} (target <= {MAX_OVERHEAD:.0%}: {'met' if overhead <= MAX_OVERHEAD else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
