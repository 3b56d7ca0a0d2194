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


def test_the_base_is_saved_and_reused_and_a_small_write_adds_a_segment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qa.store.keyword as keyword

    counted: list[int] = []  # chunk rows tokenized into term counts, per call
    real_count = keyword.count_terms
    monkeypatch.setattr(
        keyword,
        "count_terms",
        lambda rows, vocabulary: counted.append(len(rows)) or real_count(rows, vocabulary),
    )
    path = tmp_path / "articles.sqlite"
    first = KeywordIndex(path)
    for n in range(40):
        index_words(first, worded(f"a{n}", [f"Volcano report {n}.", "Ash fell."]))
    assert [h.chunk_id for h in first.search("volcano report 7", 1)] == ["a7#0"]
    assert counted == [80] and first.merges == 1
    base = first.segments().parts[0]
    assert first.search("ash", 5) and counted == [80]  # not rebuilt per query

    second = KeywordIndex(path)  # the next `qa ask`: loads what the first saved, tokenizes nothing
    assert [h.chunk_id for h in second.search("volcano report 7", 1)] == ["a7#0"]
    assert counted == [80] and second.merges == 0

    index_words(second, worded("w2", ["Another volcano."]))  # a small write after a big build
    second.delete_article("a3")
    assert "w2#0" in {h.chunk_id for h in first.search("another volcano", 5)}
    assert counted == [80, 1] and first.merges == 1 and first.segments().parts[0] is base
    assert not {h.chunk_id for h in first.search("volcano report 3", 80)} & {"a3#0", "a3#1"}
    assert first.search("volcano", 80) == second.search("volcano", 80)

    path.unlink()  # a new file starts its generations anew: the old base must not be taken for it
    third = KeywordIndex(path)
    index_words(third, worded("w3", ["Rain."]))
    assert third.search("volcano", 5) == [] and [h.chunk_id for h in third.search("rain", 5)] == ["w3#0"]


def test_an_index_written_by_an_older_version_is_dropped_for_sync_to_redo(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "articles.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE chunks (chunk_id TEXT PRIMARY KEY, article_id TEXT, day INTEGER, words TEXT);"
            "CREATE TABLE articles (article_id TEXT PRIMARY KEY, content_hash TEXT NOT NULL);"
            "INSERT INTO articles VALUES ('old', 'hash');"
        )
    index = KeywordIndex(path)
    assert index.articles() == {}
    index_words(index, worded("new", ["Volcano."]))
    assert [h.chunk_id for h in index.search("volcano", 5)] == ["new#0"]


def test_the_best_scores_are_taken_without_sorting_every_chunk_in_the_same_order() -> None:
    import numpy as np

    rng = np.random.default_rng(7)
    for _ in range(300):
        scores = rng.integers(0, 4, size=int(rng.integers(0, 40))).astype(float)  # many ties and zeros
        k = int(rng.integers(1, 8))
        full_sort = [i for i in np.argsort(-scores, kind="stable")[:k] if scores[i] > 0]
        ids = [f"c{i:03d}" for i in range(len(scores))]
        assert _top_positive(scores, k, ids) == full_sort
        by_id = [
            i
            for i in sorted(range(len(scores)), key=lambda i: (-scores[i], ids[::-1][i]))[:k]
            if scores[i] > 0
        ]
        assert _top_positive(scores, k, ids[::-1]) == by_id  # ties in chunk id order, not write order
