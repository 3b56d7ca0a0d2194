"""The keyword index beside a store: persisted words, other processes' writes, repair from the store."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.store.keyword import KeywordIndex, _top_positive, sync
from tests.store_contract import index_words, worded, write

pytestmark = pytest.mark.unit


def test_a_second_connection_sees_committed_writes(tmp_path: Path) -> None:
    path = tmp_path / "keyword" / "articles.sqlite"
    writer, reader = KeywordIndex(path), KeywordIndex(path)  # e.g. `qa ingest` and a running `qa serve`
    index_words(writer, worded("w1", ["The volcano erupted."]))
    assert [h.chunk_id for h in reader.search("volcano", 5)] == ["w1#0"]
    writer.delete_article("w1")
    assert reader.search("volcano", 5) == []


def test_sync_repairs_missing_stale_and_ghost_articles() -> None:
    from qa.store.memory import InMemoryStore

    store = InMemoryStore()
    for item in (worded("a", ["Volcano news."]), worded("b", ["Rain news."])):
        write(store, item)
    index = KeywordIndex()
    index_words(index, worded("ghost", ["Volcano ghost."]))
    index_words(index, worded("b", ["Old text about snow."]))  # indexed at an older version
    read = []

    def chunks():  # the store's chunks are read only when something must be redone
        read.append(True)
        return store.iter_chunks()

    assert sync(index, store.list_articles(), chunks) == 2
    assert set(index.articles()) == {"a", "b"} and read
    assert {h.chunk_id for h in index.search("volcano rain", 5)} == {"a#0", "b#0"}
    assert index.search("snow ghost", 5) == []
    read.clear()
    assert sync(index, store.list_articles(), chunks) == 0 and not read


def test_the_bm25_matrix_is_saved_and_reused_until_the_words_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qa.store.keyword as keyword

    builds: list[int] = []
    real_build = keyword.build_bm25
    monkeypatch.setattr(
        keyword, "build_bm25", lambda corpus: builds.append(len(corpus)) or real_build(corpus)
    )
    path = tmp_path / "articles.sqlite"
    first = KeywordIndex(path)
    index_words(first, worded("w1", ["The volcano erupted.", "Ash fell."]))
    assert [h.chunk_id for h in first.search("volcano", 5)] == ["w1#0"] and builds == [2]
    assert first.search("ash", 5) and builds == [2]  # not rebuilt per query

    second = KeywordIndex(path)  # the next `qa ask`: loads what the first saved
    assert [h.chunk_id for h in second.search("volcano", 5)] == ["w1#0"] and builds == [2]

    index_words(second, worded("w2", ["Another volcano."]))
    assert {h.chunk_id for h in first.search("volcano", 5)} == {"w1#0", "w2#0"} and builds == [2, 3]

    path.unlink()  # a new file starts its generations anew: the old matrix must not be taken for it
    third = KeywordIndex(path)
    index_words(third, worded("w3", ["Rain."]))
    assert third.search("volcano", 5) == [] and [h.chunk_id for h in third.search("rain", 5)] == ["w3#0"]


def test_the_best_scores_are_taken_without_sorting_every_chunk_in_the_same_order() -> None:
    import numpy as np

    rng = np.random.default_rng(7)
    for _ in range(300):
        scores = rng.integers(0, 4, size=int(rng.integers(0, 40))).astype(float)  # many ties and zeros
        k = int(rng.integers(1, 8))
        full_sort = [i for i in np.argsort(-scores, kind="stable")[:k] if scores[i] > 0]
        assert _top_positive(scores, k).tolist() == full_sort
