"""Ingest pipeline: idempotency, replacement, bad files, interrupted writes, the lock, index settings.

Uses the FAKE hashing embedder (counts what it embeds) with a real embedded Chroma in a temp dir.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.embedding import FakeEmbedder
from qa.indexing import IndexBusyError, write_lock
from qa.service import NewsDesk
from qa.settings import Settings
from qa.store import IndexMismatchError

pytestmark = pytest.mark.unit

STORY = (
    "The city council approved a new budget on Monday after a long debate. "
    "The plan adds money for buses and parks, officials said. "
)


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "collection": "unit-index",
        "lock_timeout_s": 0.2,
        "chunk_tokens": 40,
        "chunk_overlap_tokens": 8,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def _desk(tmp_path: Path, embedder: FakeEmbedder | None = None, **overrides: object) -> NewsDesk:
    return NewsDesk(_settings(tmp_path, **overrides), embedder=embedder or FakeEmbedder())


def _write_corpus(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "council.txt").write_text(STORY * 6)
    records = [
        {
            "id": "rec-1",
            "title": "Storm hits coast",
            "url": "https://news.example/storm",
            "text": "A storm hit the coast. " * 30,
        },
        {"id": "rec-2", "title": "Team wins cup", "text": "The home team won the cup final on Sunday. " * 10},
    ]
    (folder / "feed.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")


def test_reingest_of_unchanged_articles_embeds_nothing(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _write_corpus(corpus)
    embedder = FakeEmbedder()
    desk = _desk(tmp_path, embedder)
    first = desk.ingest([corpus], progress=False)
    assert len(first.added) == 3 and not first.rejected
    chunks = desk.store.count_chunks()
    calls = embedder.calls

    second = desk.ingest([corpus], progress=False)
    assert second.added == [] and second.replaced == [] and len(second.unchanged) == 3
    assert embedder.calls == calls, "nothing may be re-embedded"
    assert desk.store.count_chunks() == chunks


def test_changed_article_replaces_all_its_chunks(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _write_corpus(corpus)
    desk = _desk(tmp_path)
    desk.ingest([corpus], progress=False)
    before = desk.store.get_article("rec-1")
    assert before is not None and before.chunks > 1

    (corpus / "feed.jsonl").write_text(
        json.dumps(
            {"id": "rec-1", "title": "Storm hits coast", "text": "A short update on the storm tonight."}
        )
        + "\n"
    )
    report = desk.ingest([corpus / "feed.jsonl"], progress=False)
    assert report.replaced == ["rec-1"]
    after = desk.store.get_article("rec-1")
    assert after is not None and after.chunks == 1
    assert desk.store.count_chunks() == sum(a.chunks for a in desk.list_articles())


def test_edited_text_file_replaces_its_previous_version(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _write_corpus(corpus)
    desk = _desk(tmp_path)
    desk.ingest([corpus], progress=False)
    (corpus / "council.txt").write_text(STORY * 6 + "The mayor signed it on Tuesday.")
    report = desk.ingest([corpus / "council.txt"], progress=False)
    assert len(report.added) == 1 and len(report.removed) == 1
    assert len(desk.list_articles()) == 3


def test_a_bad_file_is_reported_and_the_rest_is_ingested(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _write_corpus(corpus)
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (corpus / "feed.jsonl").open("a").write("{not json\n")
    desk = _desk(tmp_path)
    report = desk.ingest([corpus], progress=False)
    assert len(report.added) == 3
    rejected = {r.origin.split("/")[-1]: r.reason for r in report.rejected}
    assert set(rejected) == {"broken.pdf", "feed.jsonl#3"}
    assert all(reason for reason in rejected.values())
    assert "rejected 2" in report.summary()


class _CrashingEmbedder(FakeEmbedder):
    """FAKE embedder that dies after a number of calls, like a process killed mid-ingest."""

    def __init__(self, crash_after: int) -> None:
        super().__init__()
        self._left = crash_after

    def embed(self, texts):  # type: ignore[no-untyped-def]
        if self._left == 0:
            raise KeyboardInterrupt("simulated crash")
        self._left -= 1
        return super().embed(texts)


def test_interrupted_ingest_rerun_ends_like_an_uninterrupted_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    _write_corpus(corpus)
    monkeypatch.setattr("qa.indexing.EMBED_BATCH_CHUNKS", 1)  # one article per embedding call

    crashed = _desk(tmp_path / "a", _CrashingEmbedder(crash_after=1))
    with pytest.raises(KeyboardInterrupt):
        crashed.ingest([corpus], progress=False)
    assert len(crashed.list_articles()) == 1  # the first article is complete, the others are not registered

    crashed_store = crashed.store
    resumed = NewsDesk(crashed.settings, embedder=FakeEmbedder(), store=crashed_store)
    resumed.ingest([corpus], progress=False)

    clean = _desk(tmp_path / "b")
    clean.ingest([corpus], progress=False)
    assert [(a.id, a.chunks, a.content_hash) for a in resumed.list_articles()] == [
        (a.id, a.chunks, a.content_hash) for a in clean.list_articles()
    ]
    assert resumed.store.count_chunks() == clean.store.count_chunks()


def test_delete_removes_the_article_and_every_chunk(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _write_corpus(corpus)
    desk = _desk(tmp_path)
    desk.ingest([corpus], progress=False)
    chunks_of_storm = desk.store.get_article("rec-1").chunks  # type: ignore[union-attr]
    total = desk.store.count_chunks()
    assert desk.delete("https://news.example/storm/?utm_source=x") == ("rec-1", chunks_of_storm)
    assert desk.store.get_article("rec-1") is None
    assert desk.store.count_chunks() == total - chunks_of_storm
    assert desk.delete("rec-1") is None


def test_second_writer_gets_a_clear_error(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _write_corpus(corpus)
    desk = _desk(tmp_path)
    with write_lock(desk.settings), pytest.raises(IndexBusyError, match="another ingest"):
        desk.ingest([corpus], progress=False)


def test_collection_refuses_other_chunk_settings(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _write_corpus(corpus)
    _desk(tmp_path).ingest([corpus], progress=False)
    other = _desk(tmp_path, chunk_tokens=60)
    with pytest.raises(IndexMismatchError, match="qa reset"):
        other.ingest([corpus], progress=False)
