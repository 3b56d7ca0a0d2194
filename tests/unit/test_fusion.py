"""Rank fusion, article scores and grouping, and near-duplicate passages (qa.retrieval)."""

from __future__ import annotations

import math

import pytest

from qa.retrieval.duplicates import containment, drop_near_duplicates, shingles
from qa.retrieval.fusion import article_scores, order_by_article, reciprocal_rank_fusion

pytestmark = pytest.mark.unit


def test_reciprocal_rank_fusion_arithmetic() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["c", "a"]], [1.0, 0.5], k=60)
    assert math.isclose(fused["a"], 1 / 61 + 0.5 / 62)
    assert math.isclose(fused["b"], 1 / 62)
    assert math.isclose(fused["c"], 1 / 63 + 0.5 / 61)
    assert sorted(fused, key=lambda x: -fused[x]) == ["a", "c", "b"]


def test_an_item_both_rankings_agree_on_beats_the_top_of_one() -> None:
    fused = reciprocal_rank_fusion([["x", "both"], ["y", "both"]], [1.0, 1.0], k=60)
    assert fused["both"] > fused["x"] == fused["y"]


def test_fusion_refuses_mismatched_weights() -> None:
    with pytest.raises(ValueError, match="2 rankings but 1 weights"):
        reciprocal_rank_fusion([["a"], ["b"]], [1.0], k=60)


def test_article_scores_count_further_chunks_with_decay() -> None:
    scores = article_scores([("A", 0.5), ("B", 0.6), ("A", 0.4), ("A", 0.2)], further_weight=0.5)
    assert math.isclose(scores["A"], 0.5 + 0.5 * 0.4 + 0.25 * 0.2)
    assert math.isclose(scores["B"], 0.6)
    assert article_scores([("A", 0.5), ("A", 0.4)], further_weight=0.0) == {"A": 0.5}


def test_order_by_article_groups_caps_and_keeps_ties_stable() -> None:
    items = [("B", "b1"), ("A", "a1"), ("A", "a2"), ("C", "c1"), ("A", "a3"), ("B", "b2")]
    ordered = order_by_article(items, lambda item: item[0], {"A": 2.0, "B": 1.0, "C": 1.0}, per_article=2)
    assert [name for _, name in ordered] == ["a1", "a2", "b1", "b2", "c1", "a3"]  # the overflow comes last


WIRE = (
    "KYIV, Ukraine (AP) - Russian forces shelled the city overnight, officials said on Sunday, as "
    "residents lined up for water and power returned to some districts after days of blackouts."
)


def test_a_wire_copy_with_another_byline_is_a_duplicate() -> None:
    copy = "By Jane Roe, Associated Press. " + WIRE.replace("KYIV, Ukraine (AP) - ", "")
    other = "The central bank raised interest rates by half a point on Sunday, citing stubborn inflation."
    assert containment(shingles(WIRE), shingles(copy)) > 0.8
    assert containment(shingles(WIRE), shingles(other)) == 0.0
    kept = drop_near_duplicates([WIRE, other, copy], lambda text: text, threshold=0.8)
    assert kept == [WIRE, other]  # the better-ranked copy stays, in place


def test_short_and_empty_passages() -> None:
    assert containment(shingles("Too short."), shingles("Too short.")) == 1.0
    assert containment(shingles(""), shingles("anything at all here now")) == 0.0
    assert drop_near_duplicates(["", ""], lambda text: text, threshold=0.8) == ["", ""]
