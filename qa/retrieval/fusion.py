"""Combining rankings: reciprocal rank fusion of chunk lists, then articles scored by their chunks."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[K]], weights: Sequence[float], k: float
) -> dict[K, float]:
    """Each item's sum over rankings of weight / (k + rank), rank counted from 1 (Cormack et al., 2009).

    RRF needs no score calibration between a cosine similarity and a BM25 score, which live on
    unrelated scales; `k` damps the advantage of the very first ranks.
    """
    if len(rankings) != len(weights):
        raise ValueError(f"{len(rankings)} rankings but {len(weights)} weights")
    fused: dict[K, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


def article_scores(chunk_scores: Sequence[tuple[K, float]], further_weight: float) -> dict[K, float]:
    """An article's score from its chunks' (article, score) pairs: the best, plus `further_weight`^i of the
    (i+1)-th best, so that a story with several matching passages beats one lucky passage."""
    by_article: dict[K, list[float]] = {}
    for article, score in chunk_scores:
        by_article.setdefault(article, []).append(score)
    return {
        article: sum(score * further_weight**i for i, score in enumerate(sorted(scores, reverse=True)))
        for article, scores in by_article.items()
    }


def order_by_article(
    items: Sequence[T],
    article_of: Callable[[T], K],
    article_score: Mapping[K, float],
    per_article: int,
) -> list[T]:
    """`items` (best first) grouped by article, best article first, at most `per_article` of each; then
    the rest, in the same order, so that a list cut at k spans several articles when there are several
    and still fills up from one article when it is all there is.

    Within an article the given order is kept; articles with equal scores keep the order of their first
    item, so the result is repeatable.
    """
    first_seen: dict[K, int] = {}
    for position, item in enumerate(items):
        first_seen.setdefault(article_of(item), position)
    order = sorted(first_seen, key=lambda a: (-article_score[a], first_seen[a]))
    grouped: dict[K, list[T]] = {article: [] for article in order}
    for item in items:
        grouped[article_of(item)].append(item)
    first = [item for article in order for item in grouped[article][:per_article]]
    rest = [item for article in order for item in grouped[article][per_article:]]
    return first + rest
