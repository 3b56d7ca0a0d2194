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
    return frozenset(_shingle_array(text).tolist())


def _shingle_array(text: str) -> np.ndarray:
    """`shingles` as a numpy array of distinct hashes."""
    words = tokens(text)
    hashes = np.fromiter(map(hash, words), dtype=np.int64, count=len(words))
    if len(hashes) <= SHINGLE_WORDS:
        return np.array([hash(tuple(hashes.tolist()))] if len(hashes) else [], dtype=np.int64)
    # A polynomial hash of every run at once (int64 arithmetic wraps around, which hashing allows).
    count = len(hashes) - SHINGLE_WORDS + 1
    runs = hashes[:count].copy()
    for offset in range(1, SHINGLE_WORDS):
        runs = runs * 1_000_003 + hashes[offset : offset + count]
    return np.unique(runs)


def containment(a: frozenset[int], b: frozenset[int]) -> float:
    """Share of the smaller set found in the other (0 when either is empty)."""
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return len(small & large) / len(small)


def drop_near_duplicates(items: Sequence[T], text_of: Callable[[T], str], threshold: float) -> list[T]:
    """`items` in order without those that repeat an earlier kept one (containment >= `threshold`)."""
    runs = [_shingle_array(text_of(item)) for item in items]
    # Only runs that two or more passages have can make one a copy of another: find those in one numpy
    # pass, so the Python loop below looks at a few shared runs instead of every run of every passage.
    every = np.concatenate(runs) if runs else np.zeros(0, dtype=np.int64)
    values, counts = np.unique(every, return_counts=True)
    repeated = values[counts > 1]
    kept: list[T] = []
    sizes: list[int] = []
    # Each shared run points at the first kept passage that has it: a copy's runs point at its original.
    first_holder: dict[int, int] = {}
    for item, own in zip(items, runs, strict=True):
        shared_runs = own[np.isin(own, repeated, assume_unique=True)].tolist()
        shared = Counter(first_holder[s] for s in shared_runs if s in first_holder)
        if any(count / min(len(own), sizes[index]) >= threshold for index, count in shared.items()):
            continue
        for run in shared_runs:
            first_holder.setdefault(run, len(kept))
        kept.append(item)
        sizes.append(len(own))
    return kept
