"""The segmented keyword index scores exactly as a bm25s matrix rebuilt from scratch over the same words."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from qa.store import term_weights
from qa.store.keyword import KeywordIndex
from qa.text.bm25 import build_bm25
from qa.text.words import keyword_tokens
from tests.store_contract import index_words, worded

pytestmark = pytest.mark.unit

_WORDS = "volcano ash rain snow flood storm quake river city port bridge tower field market".split()


def _rebuilt_ranking(index: KeywordIndex, query: str, k: int) -> tuple[dict[str, float], list[str]]:
    """Scores and top `k` of a bm25s matrix built from scratch over the index's stored words, in id order."""
    rows = index._db.execute("SELECT chunk_id, words FROM chunks ORDER BY chunk_id").fetchall()
    if not rows:
        return {}, []
    model = build_bm25([words.split() for _, words in rows])
    words = [w for w in keyword_tokens(query) if w in model.vocab_dict]
    if not words:
        return {}, []
    scores = model.get_scores(words)
    ranked = [rows[i][0] for i in np.argsort(-scores, kind="stable")[:k] if scores[i] > 0]
    return {rows[i][0]: float(scores[i]) for i in np.flatnonzero(scores > 0)}, ranked


def _passage(rng: random.Random) -> str:
    return " ".join(rng.choices(_WORDS, k=rng.randint(0, 12))) + "."


def _write_some(index: KeywordIndex, rng: random.Random, next_id: list[int]) -> None:
    """A random write: new or rewritten articles (possibly empty, some undated), a removal, rarely a reset."""
    roll = rng.random()
    if roll < 0.03:
        index.reset()
    elif roll < 0.2 and index.articles():
        index.delete_article(rng.choice(sorted(index.articles())))
    else:
        items = []
        for _ in range(rng.randint(1, 4)):
            known = sorted(index.articles())
            if known and rng.random() < 0.3:
                article_id = rng.choice(known)
            else:
                article_id, next_id[0] = f"art{next_id[0]}", next_id[0] + 1
            published = rng.choice([None, "2023-01-05", "2024-06-30"])
            record, chunks, _ = worded(
                article_id, [_passage(rng) for _ in range(rng.randint(1, 5))], published=published
            )
            items.append((record.info(), f"hash-{rng.random()}", chunks))
        index.replace_many({info.id: (info, h, c) for info, h, c in items}.values())


@pytest.mark.parametrize("seed", range(6))
def test_scores_and_ranking_equal_a_rebuild_after_any_writes(
    tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Terms' weights kept dense always, never, or as in use: both ways of adding them are compared.
    monkeypatch.setattr(term_weights, "DENSE_SHARE", (0.0, 2.0, term_weights.DENSE_SHARE)[seed % 3])
    rng = random.Random(seed)
    path = tmp_path / "words.sqlite"
    index, next_id, asked = KeywordIndex(path), [0], ["volcano ash"]
    for _ in range(30):
        _write_some(index, rng, next_id)  # builds up a base, so later writes become small segments
    index.search("volcano", 1)
    for step in range(60):
        _write_some(index, rng, next_id)
        if step % 7 == 0:
            index = KeywordIndex(path)  # another process: starts from the saved base, reads the rest
        if rng.random() < 0.5:  # a question asked before the write: stale cached weights would show
            query = rng.choice(asked)
        else:
            query = " ".join(rng.choices(_WORDS + ["unknown"], k=rng.randint(1, 4)))
            asked.append(query)
        expected_scores, expected_top = _rebuilt_ranking(index, query, 8)
        segments = index.segments()
        for _ in range(2):  # computed, then read from the cache
            scores = segments.scores(keyword_tokens(query))
            got = {segments.ids[i]: float(scores[i]) for i in np.flatnonzero(scores > 0)}
            assert got.keys() == expected_scores.keys()
            assert got == expected_scores  # to the bit: the same float32 steps as bm25s
        assert [h.chunk_id for h in index.search(query, 8)] == expected_top
    assert index.merges or KeywordIndex(path).merges == 0  # some path exercised the saved base


def test_the_weight_cache_stays_within_its_bytes() -> None:
    cache = term_weights.WeightCache(limit=100)
    for term in range(10):
        cache.put(term, term_weights.TermWeights(np.zeros(10, dtype=np.float32)))  # 40 bytes each
    assert cache.held == 80 and cache.get(9) is not None and cache.get(7) is None
    cache.put(10, term_weights.TermWeights(np.zeros(30, dtype=np.float32)))  # over the limit: not kept
    assert cache.get(10) is None and cache.held == 80
    rows, weights = np.arange(8, dtype=np.int32), np.ones(4, dtype=np.float32)
    kept = term_weights.TermWeights(None, ((0, rows[:4], weights), (4, rows[[4, 6]], weights[:2])))
    assert kept.nbytes() == 16 + (8 + 8)  # rows read in place from a segment cost nothing more


def test_the_merged_base_keeps_scores_and_drops_removed_chunks(tmp_path: Path) -> None:
    index = KeywordIndex(tmp_path / "words.sqlite")
    for n in range(30):
        index_words(index, worded(f"a{n}", [f"volcano {'ash ' * (n % 4)}", "rain"]))
    index.search("ash", 3)
    for n in range(0, 30, 2):
        index.delete_article(f"a{n}")  # half the base removed: the next search merges
    before = index.merges
    hits = index.search("volcano ash", 30)
    assert index.merges == before + 1 and len(index.segments().ids) == 30  # 15 articles of 2 chunks
    _, expected = _rebuilt_ranking(index, "volcano ash", 30)
    assert [h.chunk_id for h in hits] == expected
