"""What the bench scripts share: questions about the bundled sample, and the median and 95th percentile
they print."""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

_REPO = Path(__file__).resolve().parents[1]

# Questions about the bundled sample article (samples/huawei-5g-licence.json), asked in turn.
SAMPLE_QUESTIONS = [
    "How many 5G base stations does Huawei plan to make next year?",
    "Will Huawei use US components?",
    "What did Ren Zhengfei say about Huawei's suppliers?",
    "How many base stations does Huawei make a month?",
]


def median_and_p95(values: Sequence[float]) -> tuple[float, float]:
    """The median and the nearest-rank 95th percentile (NaN for no values)."""
    if not values:
        return float("nan"), float("nan")
    ordered = sorted(values)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)]


def made_up_vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    """`size` made-up words of 4 to 9 letters, for generated corpora (bench/retrieval_scale.py, ...)."""
    letters = "abcdefghiklmnoprstuvz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(4, 9))) for _ in range(size)]


def opened_in_fresh_process(path: Path) -> dict[str, float]:
    """In a fresh process, as `qa serve` opens it: open the saved keyword index at `path` and search once;
    its open time, resident memory and the arrays' bytes (`keyword`)."""
    code = (
        "import json, sys, time\n"
        f"sys.path.insert(0, {str(_REPO)!r})\n"
        "from qa.store.keyword import KeywordIndex\n"
        "from qa.text.words import keyword_tokens\n"
        "def rss():\n"
        "    return int(open('/proc/self/statm').read().split()[1]) * 4096\n"
        "before = rss()\n"
        "started = time.perf_counter()\n"
        f"index = KeywordIndex(__import__('pathlib').Path({str(path)!r}))\n"
        "index.search('volcano', 5)\n"
        "seconds = time.perf_counter() - started\n"
        "print(json.dumps({'open_s': seconds, 'rss': rss(), 'before': before,\n"
        "    'keyword': index.segments().nbytes(), 'merges': index.merges}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.splitlines()[-1]))
