"""What the bench scripts share: questions about the bundled sample, and the median and 95th percentile
they print."""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence

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
