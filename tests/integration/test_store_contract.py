"""The Store contract, run against every implementation: embedded Chroma and a real `chroma run` server."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from qa.documents import Article, Chunk
from qa.settings import Settings
from qa.store import ChromaStore, DuplicateArticleError, DuplicatePolicy, IndexMismatchError, create_store

pytestmark = pytest.mark.integration

DIM = 8
CONFIG = {
    "embedding_model": "test-model",
    "embedding_dimension": DIM,
    "chunk_tokens": 100,
    "chunk_overlap_tokens": 10,
}


@pytest.fixture(params=["embedded", "server"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ChromaStore:
    """A fresh, empty store of each kind."""
    name = f"contract-{request.node.name.split('[')[0][-30:].replace('_', '-')}".strip("-")
    if request.param == "server":
        host, port = request.getfixturevalue("chroma_server")
        settings = Settings(chroma_host=host, chroma_port=port, collection=name)
    else:
        settings = Settings(data_dir=tmp_path / "data", collection=name)
    created = create_store(settings)
    created.reset()
    created.check_config(CONFIG)
    return created


def _unit(i: int) -> list[float]:
    vector = [0.0] * DIM
    vector[i % DIM] = 1.0
    return vector


def _article(
    article_id: str, n_chunks: int, *, published: str | None = "2023-01-05", origin: str = "f.txt"
) -> tuple[Article, list[Chunk], list[list[float]]]:
    text = " ".join(f"Sentence {i}." for i in range(n_chunks))
    article = Article(
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
        chunks.append(
            Chunk(
                id=f"{article_id}#{i}",
                article_id=article_id,
                index=i,
                text=piece,
                start=offset,
                end=offset + len(piece),
            )
        )
        offset += len(piece) + 1
    return article, chunks, [_unit(i) for i in range(n_chunks)]


def test_write_then_read_back(store: ChromaStore) -> None:
    article, chunks, vectors = _article("a1", 3)
    assert store.write_article(article, chunks, vectors, DuplicatePolicy.OVERWRITE)
    record = store.get_article("a1")
    assert record is not None
    assert (record.title, record.chunks, record.content_hash, record.source) == (
        "Title a1",
        3,
        "hash-3",
        "Wire",
    )
    assert record.authors == ("A. Writer", "B. Writer")
    assert store.count_chunks() == 3
    assert store.count_articles() == 1
    assert [a.id for a in store.list_articles()] == ["a1"]
    assert [a.id for a in store.articles_from_origin("f.txt")] == ["a1"]


def test_search_returns_cosine_scores_best_first(store: ChromaStore) -> None:
    article, chunks, vectors = _article("a1", 3)
    store.write_article(article, chunks, vectors, DuplicatePolicy.OVERWRITE)
    hits = store.search(_unit(1), k=10)
    assert len(hits) == 3  # k larger than the collection is fine
    assert hits[0].chunk.id == "a1#1" and math.isclose(hits[0].score, 1.0, abs_tol=1e-5)
    assert hits[0].chunk.text == "Sentence 1." and hits[0].article.url == "https://example.org/a1"
    assert hits[1].score < hits[0].score


def test_date_filter(store: ChromaStore) -> None:
    from qa.retrieve import date_filter

    for article_id, published in (("old", "2022-12-01"), ("new", "2023-01-10")):
        article, chunks, vectors = _article(article_id, 2, published=published, origin=article_id)
        store.write_article(article, chunks, vectors, DuplicatePolicy.OVERWRITE)
    hits = store.search(_unit(0), k=10, where=date_filter("2023-01-01", None))
    assert {h.article.id for h in hits} == {"new"}
    hits = store.search(_unit(0), k=10, where=date_filter("2022-11-01", "2022-12-31"))
    assert {h.article.id for h in hits} == {"old"}


def test_duplicate_policies(store: ChromaStore) -> None:
    article, chunks, vectors = _article("a1", 4)
    store.write_article(article, chunks, vectors, DuplicatePolicy.OVERWRITE)
    shorter, short_chunks, short_vectors = _article("a1", 2)
    assert store.write_article(shorter, short_chunks, short_vectors, DuplicatePolicy.SKIP) is False
    assert store.count_chunks() == 4
    with pytest.raises(DuplicateArticleError):
        store.write_article(shorter, short_chunks, short_vectors, DuplicatePolicy.FAIL)
    assert store.write_article(shorter, short_chunks, short_vectors, DuplicatePolicy.OVERWRITE)
    assert store.count_chunks() == 2, "overwrite must remove the chunks the new version no longer has"
    assert store.get_article("a1").chunks == 2  # type: ignore[union-attr]


def test_delete_leaves_no_chunk_behind(store: ChromaStore) -> None:
    for article_id in ("a1", "a2"):
        article, chunks, vectors = _article(article_id, 3, origin=article_id)
        store.write_article(article, chunks, vectors, DuplicatePolicy.OVERWRITE)
    assert store.delete_article("a1") == 3
    assert store.get_article("a1") is None
    assert store.count_chunks() == 3
    assert store.count_articles() == 1
    assert all(h.article.id == "a2" for h in store.search(_unit(0), k=10))
    assert store.delete_article("a1") == 0


def test_writes_above_the_batch_size_are_split(store: ChromaStore) -> None:
    article, chunks, vectors = _article("big", 2300)
    store.write_article(article, chunks, vectors, DuplicatePolicy.OVERWRITE)
    assert store.count_chunks() == 2300
    assert store.delete_article("big") == 2300


def test_other_index_settings_are_refused(store: ChromaStore) -> None:
    with pytest.raises(IndexMismatchError, match="embedding_model"):
        store.check_config({**CONFIG, "embedding_model": "another-model"})
    store.check_config(CONFIG)  # the same settings are fine


def test_reset_drops_everything(store: ChromaStore) -> None:
    article, chunks, vectors = _article("a1", 2)
    store.write_article(article, chunks, vectors, DuplicatePolicy.OVERWRITE)
    store.reset()
    assert (
        store.count_chunks() == 0
        and store.count_articles() == 0
        and store.list_articles() == []
        and store.stored_config() == {}
    )
