"""Near-duplicate passages: the same wire story under two outlets, an updated version, one text at two URLs.

Two passages are near-duplicates when most of the shorter one's word 5-grams occur in the other
(containment, not Jaccard: copies are cut into chunks at different places when a byline or a dateline
differs, so one chunk is often a shifted piece of the other). The earlier (better ranked) one is kept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np

from qa.text.words import tokens

SHINGLE_WORDS = 5
T = TypeVar("T")


def shingles(text: str) -> frozenset[int]:
    """Hashes of the text's overlapping 5-word runs (the whole text when it is shorter)."""
    words = np.array([hash(word) for word in tokens(text)], dtype=np.int64)
    if len(words) <= SHINGLE_WORDS:
        return frozenset({hash(tuple(words.tolist()))}) if len(words) else frozenset()
    # A polynomial hash of every run at once (int64 arithmetic wraps around, which hashing allows).
    count = len(words) - SHINGLE_WORDS + 1
    runs = words[:count].copy()
    for offset in range(1, SHINGLE_WORDS):
        runs = runs * 1_000_003 + words[offset : offset + count]
    return frozenset(runs.tolist())


def containment(a: frozenset[int], b: frozenset[int]) -> float:
    """Share of the smaller set found in the other (0 when either is empty)."""
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return len(small & large) / len(small)


def drop_near_duplicates(items: Sequence[T], text_of: Callable[[T], str], threshold: float) -> list[T]:
    """`items` in order without those that repeat an earlier kept one (containment >= `threshold`)."""
    kept: list[T] = []
    sizes: list[int] = []
    # Each 5-word run points at the first kept passage that has it: a copy's runs point at its original,
    # so one pass per passage finds it, with no pairwise comparisons and no per-run lists (a query's
    # thousands of small lists would keep Python's garbage collector busy for hundreds of milliseconds).
    first_holder: dict[int, int] = {}
    for item in items:
        own = shingles(text_of(item))
        shared = Counter(first_holder[s] for s in own if s in first_holder)
        if any(count / min(len(own), sizes[index]) >= threshold for index, count in shared.items()):
            continue
        for shingle in own:
            first_holder.setdefault(shingle, len(kept))
        kept.append(item)
        sizes.append(len(own))
    return kept
