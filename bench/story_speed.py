"""How long a story takes: the timeline of the largest grouped stories, and questions across articles.

    QA_DATA_DIR=DIR QA_COLLECTION=NAME python bench/story_speed.py [--stories 5]
        [--questions eval/cross/questions.jsonl --filter x-2023]

On an index already built (for instance the one `qa eval` builds for a dev corpus), it times
`NewsDesk.timeline(story=…)` for the `--stories` largest grouped stories (issue 22's target: a 20-article
story's timeline starts within 10 s and finishes within 60 s on 2 cores with the default model; the
timeline is extractive, so its first step and its last are shown together), the grouping itself once,
and with --questions each question across articles (`NewsDesk.ask`, answered in code) on its own date.
Prints medians and 95th percentiles; timings on a shared machine are noise, compare within one run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.shared import median_and_p95  # noqa: E402
from qa.service import NewsDesk  # noqa: E402
from qa.settings import Settings  # noqa: E402


def main() -> int:
    """Print the timings."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stories", type=int, default=5, help="how many of the largest stories to time")
    parser.add_argument("--questions", type=Path, help="a question file with questions across articles")
    parser.add_argument("--filter", default="", help="only questions whose id starts with this")
    args = parser.parse_args()
    desk = NewsDesk(Settings())
    started = time.perf_counter()
    stories = [s for s in desk.stories() if len(s.article_ids) > 1]
    print(f"grouping: {len(stories)} stories of several articles in {time.perf_counter() - started:.2f} s")
    desk.timeline("warm-up")  # loads the embedding model: not part of a story's time
    largest = sorted(stories, key=lambda s: -len(s.article_ids))[: args.stories]
    spent = []
    for story in largest:
        started = time.perf_counter()
        timeline = desk.timeline("", story=story.id)
        spent.append(time.perf_counter() - started)
        size, steps = len(story.article_ids), len(timeline.steps)
        print(f"  {size:3d} articles, {steps:3d} steps: {spent[-1]:.2f} s  {story.title[:60]}")
    if spent:
        p50, p95 = median_and_p95(spent)
        print(f"timeline of a story (first step = last step: extractive): p50 {p50:.2f} s, p95 {p95:.2f} s")
    if args.questions:
        answered = []
        for line in args.questions.read_text(encoding="utf-8").splitlines():
            question = json.loads(line)
            if not question["id"].startswith(args.filter):
                continue
            started = time.perf_counter()
            result = desk.ask(question["question"], as_of=date.fromisoformat(question["question_date"]))
            answered.append(time.perf_counter() - started)
            print(
                f"  {question['id']}: {answered[-1]:.2f} s, across={result.across}, llm={result.llm_called}"
            )
        p50, p95 = median_and_p95(answered)
        print(f"question across articles: p50 {p50:.2f} s, p95 {p95:.2f} s over {len(answered)}")
    desk.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
