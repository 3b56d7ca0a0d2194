"""What the bench scripts share: the median and 95th percentile they print."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def median_and_p95(values: Sequence[float]) -> tuple[float, float]:
    """The median and the nearest-rank 95th percentile (NaN for no values)."""
    if not values:
        return float("nan"), float("nan")
    ordered = sorted(values)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)]
