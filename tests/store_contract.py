"""The Store contract: what every store must do, as tests. A store's test module subclasses `StoreContract`
and provides a `store` fixture giving a fresh, empty store (haystack's document-store test mixins)."""

from __future__ import annotations

import math
from datetime import date

import pytest

from qa.documents import Article, Chunk, DateRange, SearchFilter
from qa.errors import IndexMismatchError
from qa.store import ArticleWrite, Store
from qa.store.keyword import KeywordIndex

DIM = 8
CONFIG = {
    "embedding_model": "test-model",
    "embedding_dimension": DIM,
    "chunk_tokens": 100,
    "chunk_overlap_tokens": 10,
}


def unit(i: int) -> list[float]:
    """A unit vector along axis `i` (mod DIM): chunks on different axes are orthogonal."""
    vector = [0.0] * DIM
    vector[i % DIM] = 1.0
    return vector


def article(
    article_id: str, n_chunks: int, *, published: str | None = "2023-01-05", origin: str = "f.txt"
) -> tuple[Article, list[Chunk], list[list[float]]]:
    """An article of `n_chunks` one-sentence chunks, with offsets into its text and a vector each."""
    text = " ".join(f"Sentence {i}." for i in range(n_chunks))
    record = Article(
        id=article_id,
        text=text,
        title=f"Title {article_id}",
        origin=origin,
        content_hash=f"hash-{n_chunks}",
        url=f"https://example.org/{article_id}",
        published=published,
        authors=("A. Writer", "B. Writer"),
        source="Wire",
    )
    chunks, offset = [], 0
    for i in range(n_chunks):
        piece = f"Sentence {i}."
        chunks.append(Chunk(f"{article_id}#{i}", article_id, i, piece, offset, offset + len(piece)))
        offset += len(piece) + 1
    return record, chunks, [unit(i) for i in range(n_chunks)]


def worded(
    article_id: str, passages: list[str], *, title: str = "Notes", published: str | None = "2023-01-05"
) -> tuple[Article, list[Chunk], list[list[float]]]:
    """An article whose chunks are the given passages (for keyword search), vectors on axes 0, 1, ..."""
    record, _, _ = article(article_id, 1, published=published, origin=article_id)
    text = " ".join(passages)
    record = Article(**{**vars(record), "text": text, "title": title, "content_hash": f"hash-{text}"})
    chunks, offset = [], 0
    for i, passage in enumerate(passages):
        chunks.append(Chunk(f"{article_id}#{i}", article_id, i, passage, offset, offset + len(passage)))
        offset += len(passage) + 1
    return record, chunks, [unit(i) for i in range(len(passages))]


def write(store: Store, item: tuple[Article, list[Chunk], list[list[float]]]) -> None:
    """Write one article (as `article` or `worded` give it) the way ingest does, through `write_articles`."""
    store.write_articles([ArticleWrite(*item)])


def index_words(index: KeywordIndex, item: tuple[Article, list[Chunk], list[list[float]]]) -> None:
    """Index one article's words (as `article` or `worded` give it) the way a store does when it writes."""
    article, chunks, _ = item
    index.replace_many([(article.info(), article.content_hash, chunks)])


def published_between(start: str | None, end: str | None) -> SearchFilter:
    """A filter on publication dates (either end open)."""
    return SearchFilter(
        published=DateRange(
            date.fromisoformat(start) if start else None, date.fromisoformat(end) if end else None
        )
    )


class StoreContract:
    """Tests every Store implementation must pass."""

    @pytest.fixture
    def store(self) -> Store:
        raise NotImplementedError("a store's test module provides a fresh, empty store")

    def test_write_then_read_back(self, store: Store) -> None:
        write(store, article("a1", 3))
        record = store.get_article("a1")
        assert record is not None
        assert (record.title, record.chunks, record.content_hash, record.source, record.origin) == (
            "Title a1",
            3,
            "hash-3",
            "Wire",
            "f.txt",
        )
        assert record.authors == ("A. Writer", "B. Writer") and record.published == "2023-01-05"
        assert store.count_chunks() == 3
        assert store.count_articles() == 1
        assert [a.id for a in store.list_articles()] == ["a1"]
        assert [a.id for a in store.articles_from_origin("f.txt")] == ["a1"]
        assert store.articles_from_origin("other.txt") == []

    def test_search_returns_cosine_scores_best_first_with_the_article(self, store: Store) -> None:
        write(store, article("a1", 3))
        hits = store.search(unit(1), k=10)
        assert len(hits) == 3  # k larger than the collection is fine
        assert hits[0].chunk.id == "a1#1" and math.isclose(hits[0].score, 1.0, abs_tol=1e-5)
        assert hits[0].chunk.text == "Sentence 1." and (hits[0].chunk.start, hits[0].chunk.end) == (12, 23)
        assert hits[0].article.url == "https://example.org/a1" and hits[0].article.title == "Title a1"
        assert hits[0].article.authors == ("A. Writer", "B. Writer")
        assert hits[1].score < hits[0].score
        assert len(store.search(unit(1), k=2)) == 2

    def test_an_empty_store_finds_nothing(self, store: Store) -> None:
        assert store.search(unit(0), k=5) == []
        assert store.get_article("nope") is None and store.list_articles() == []
        assert list(store.iter_chunks()) == []
        assert store.delete_article("nope") == 0

    def test_date_filter(self, store: Store) -> None:
        for article_id, published in (("old", "2022-12-01"), ("new", "2023-01-10"), ("undated", None)):
            write(store, article(article_id, 2, published=published, origin=article_id))
        assert {h.article.id for h in store.search(unit(0), k=10)} == {"old", "new", "undated"}
        hits = store.search(unit(0), k=10, search_filter=published_between("2023-01-01", None))
        assert {h.article.id for h in hits} == {"new"}
        hits = store.search(unit(0), k=10, search_filter=published_between("2022-11-01", "2022-12-31"))
        assert {h.article.id for h in hits} == {"old"}
        hits = store.search(unit(0), k=10, search_filter=published_between(None, "2023-01-10"))
        assert {h.article.id for h in hits} == {"old", "new"}  # the bound day counts; undated never does

    def test_writing_an_article_again_replaces_all_its_chunks(self, store: Store) -> None:
        write(store, article("a1", 4))
        write(store, article("a1", 2))
        assert store.count_chunks() == 2, "a new version must remove the chunks it no longer has"
        assert store.get_article("a1").chunks == 2  # type: ignore[union-attr]
        assert store.count_articles() == 1

    def test_delete_leaves_no_chunk_behind(self, store: Store) -> None:
        for article_id in ("a1", "a2"):
            write(store, article(article_id, 3, origin=article_id))
        assert store.delete_article("a1") == 3
        assert store.get_article("a1") is None
        assert store.count_chunks() == 3
        assert store.count_articles() == 1
        assert all(h.article.id == "a2" for h in store.search(unit(0), k=10))
        assert store.delete_article("a1") == 0

    def test_chunks_read_back_in_article_and_position_order(self, store: Store) -> None:
        write(store, article("b", 2, origin="b"))
        write(store, article("a", 3, origin="a"))
        assert [c.id for c in store.iter_chunks()] == ["a#0", "a#1", "a#2", "b#0", "b#1"]
        assert next(iter(store.iter_chunks())).text == "Sentence 0."
        assert [c.id for c in store.opening_chunks()] == ["a#0", "b#0"]

    def test_writes_above_the_batch_size_are_split(self, store: Store) -> None:
        write(store, article("big", 2300))
        assert store.count_chunks() == 2300
        assert len(list(store.iter_chunks())) == 2300
        assert store.delete_article("big") == 2300

    def test_a_batch_of_writes_stores_and_replaces_each_article(self, store: Store) -> None:
        write(store, article("a1", 4, origin="a1"))
        writes = [ArticleWrite(*article(f"b{i}", 3, origin=f"b{i}")) for i in range(5)]
        store.write_articles([ArticleWrite(*article("a1", 2, origin="a1")), *writes])
        assert store.count_articles() == 6
        assert store.count_chunks() == 2 + 5 * 3, "a1's old chunks are replaced, not kept beside"
        assert [c.id for c in store.iter_chunks() if c.article_id == "a1"] == ["a1#0", "a1#1"]
        found = {hit.chunk_id.split("#")[0] for hit in store.keyword_search("sentence", 50)}
        assert found == {"a1"} | {f"b{i}" for i in range(5)}
        store.write_articles([])  # nothing to do is fine

    def test_a_batch_with_a_bad_write_stores_nothing(self, store: Store) -> None:
        good = ArticleWrite(*article("good", 2, origin="good"))
        record, chunks, vectors = article("bad", 2, origin="bad")
        with pytest.raises(ValueError, match="embeddings"):
            store.write_articles([good, ArticleWrite(record, chunks, vectors[:1])])
        with pytest.raises(ValueError, match="twice"):
            store.write_articles([good, good])
        assert store.count_articles() == 0 and store.count_chunks() == 0

    def test_an_origin_that_is_not_utf8_finds_nothing_and_raises_nothing(self, store: Store) -> None:
        # A file name's undecodable byte as Python keeps it (a lone surrogate): no article can have it.
        write(store, article("a1", 1))
        assert store.articles_from_origin("caf\udce9.txt") == []

    def test_registry_entries_are_looked_up_many_at_once(self, store: Store) -> None:
        store.write_articles([ArticleWrite(*article(f"a{i}", 1, origin=f"a{i}")) for i in range(3)])
        found = store.get_articles(["a0", "a2", "missing"])
        assert set(found) == {"a0", "a2"}
        assert found["a2"].title == "Title a2" and found["a2"].chunks == 1
        assert store.get_articles([]) == {}

    def test_other_index_settings_are_refused(self, store: Store) -> None:
        assert store.stored_config()["embedding_model"] == "test-model"
        with pytest.raises(IndexMismatchError, match="embedding_model"):
            store.check_config({**CONFIG, "embedding_model": "another-model"})
        store.check_config(CONFIG)  # the same settings are fine

    def test_collections_of_one_database_are_apart(self, store: Store) -> None:
        write(store, article("a1", 2))
        other = store.open_collection(store.collection_name + "-other")
        try:
            assert other.count_chunks() == 0 and other.stored_config() == {}
            other.check_config(CONFIG)
            write(other, article("b1", 1))
            assert store.count_chunks() == 2 and other.count_chunks() == 1
            again = store.open_collection(store.collection_name + "-other")
            assert [a.id for a in again.list_articles()] == ["b1"]
        finally:
            other.reset()

    def test_reset_drops_everything(self, store: Store) -> None:
        write(store, article("a1", 2))
        store.reset()
        assert (
            store.count_chunks() == 0
            and store.count_articles() == 0
            and store.list_articles() == []
            and store.stored_config() == {}
        )

    def test_keyword_search_matches_chunk_and_headline_words(self, store: Store) -> None:
        write(store, worded("w1", ["Huawei builds base stations.", "Rain in Paris."], title="Telecom"))
        write(store, worded("w2", ["Stations of the metro.", "Paris rain."], title="Huawei's results"))
        hits = store.keyword_search("Huawei base stations", k=10)
        assert [h.chunk_id for h in hits][0] == "w1#0"  # three words beat one (headline) or one
        assert {h.chunk_id for h in hits} == {"w1#0", "w2#0", "w2#1"}  # w2's headline says Huawei
        assert all(h.score > 0 for h in hits) and hits == sorted(hits, key=lambda h: -h.score)
        assert store.keyword_search("nothing matches zebra", k=10) == []

    def test_keyword_search_sees_rewrites_and_deletes(self, store: Store) -> None:
        write(store, worded("w1", ["The volcano erupted.", "Ash fell."]))
        write(store, worded("w2", ["The volcano slept."]))
        assert {h.chunk_id for h in store.keyword_search("volcano", k=10)} == {"w1#0", "w2#0"}
        write(store, worded("w1", ["A quiet week."]))  # re-ingested with other text
        assert [h.chunk_id for h in store.keyword_search("volcano", k=10)] == ["w2#0"]
        assert [h.chunk_id for h in store.keyword_search("quiet", k=10)] == ["w1#0"]
        store.delete_article("w2")
        assert store.keyword_search("volcano", k=10) == []  # no ghost hit after delete
        store.reset()
        assert store.keyword_search("quiet", k=10) == []

    def test_keyword_search_date_filter(self, store: Store) -> None:
        for article_id, published in (("old", "2022-12-01"), ("new", "2023-01-10"), ("undated", None)):
            write(store, worded(article_id, ["Election results."], published=published))
        found = store.keyword_search("election", k=10, search_filter=published_between("2023-01-01", None))
        assert [h.chunk_id for h in found] == ["new#0"]
        assert len(store.keyword_search("election", k=10)) == 3

    def test_get_chunks_in_order_with_cosine_skipping_missing(self, store: Store) -> None:
        write(store, article("a1", 3))
        got = store.get_chunks(["a1#2", "gone#0", "a1#0"], unit(2))
        assert [h.chunk.id for h in got] == ["a1#2", "a1#0"]
        assert math.isclose(got[0].score, 1.0, abs_tol=1e-6) and math.isclose(got[1].score, 0.0, abs_tol=1e-6)
        assert got[0].chunk.text == "Sentence 2." and got[0].article.title == "Title a1"
        assert store.get_chunks([], unit(0)) == []

    def test_published_span_of_the_dated_articles(self, store: Store) -> None:
        assert store.published_span() is None
        for article_id, published in (("old", "2022-12-01"), ("new", "2023-01-10"), ("undated", None)):
            write(store, article(article_id, 2, published=published, origin=article_id))
        span = store.published_span()
        assert span is not None and (span.since, span.until) == ("2022-12-01", "2023-01-10")
        narrowed = store.published_span(published_between("2023-01-01", None))
        assert narrowed is not None and (narrowed.since, narrowed.until) == ("2023-01-10", "2023-01-10")
        store.delete_article("new")
        span = store.published_span()
        assert span is not None and span.until == "2022-12-01"

    def test_undated_articles_are_counted_by_article(self, store: Store) -> None:
        assert store.undated_articles() == 0
        write(store, article("dated", 2, published="2023-01-10", origin="dated"))
        assert store.undated_articles() == 0
        for article_id in ("undated-1", "undated-2"):
            write(store, article(article_id, 3, published=None, origin=article_id))  # chunks count once
        assert store.undated_articles() == 2
        # A date range lets no undated article through, as in search.
        assert store.undated_articles(published_between("2023-01-01", None)) == 0
        assert store.undated_articles(SearchFilter()) == 2
        write(store, article("undated-1", 1, published="2023-01-11", origin="undated-1"))  # dated now
        store.delete_article("undated-2")
        assert store.undated_articles() == 0
        write(store, article("undated-3", 1, published=None, origin="undated-3"))
        store.reset()
        assert store.undated_articles() == 0
