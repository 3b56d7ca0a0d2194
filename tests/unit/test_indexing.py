"""Ingest pipeline: idempotency, replacement, bad files, interrupted writes, the lock, index settings.

Uses the FAKE hashing embedder (counts what it embeds) with the in-memory store.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from qa.embedding.fake import FakeEmbedder
from qa.errors import IndexBusyError, IndexMismatchError
from qa.indexing import ingest, write_lock
from qa.service import NewsDesk
from qa.settings import Settings
from qa.store.memory import InMemoryStore

pytestmark = pytest.mark.unit

MakeDesk = Callable[..., NewsDesk]
STORY = (
    "The city council approved a new budget on Monday after a long debate. "
    "The plan adds money for buses and parks, officials said. "
)
INDEX = {"chunk_tokens": 40, "chunk_overlap_tokens": 8, "lock_timeout_s": 0.2}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A folder with one plain-text article and a JSONL file of two records."""
    folder = tmp_path / "corpus"
    folder.mkdir()
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
    return folder


def test_reingest_of_unchanged_articles_embeds_nothing(make_desk: MakeDesk, corpus: Path) -> None:
    embedder = FakeEmbedder()
    desk = make_desk(embedder=embedder, **INDEX)
    first = desk.ingest([corpus], progress=False)
    assert len(first.added) == 3 and not first.rejected
    chunks = desk.stats().chunks
    calls = embedder.calls

    second = desk.ingest([corpus], progress=False)
    assert second.added == [] and second.replaced == [] and len(second.unchanged) == 3
    assert embedder.calls == calls, "nothing may be re-embedded"
    assert desk.stats().chunks == chunks


def test_an_unchanged_corpus_is_checked_without_loading_the_embedding_model(
    make_settings: Callable[..., Settings], corpus: Path
) -> None:
    settings = make_settings(embedding_backend="fake", **INDEX)
    store = InMemoryStore()
    ingest([corpus], settings, FakeEmbedder, store, progress=False)

    def no_model() -> FakeEmbedder:
        raise AssertionError("the embedding model was loaded to re-ingest an unchanged corpus")

    report = ingest([corpus], settings, no_model, store, progress=False)
    assert len(report.unchanged) == 3 and not report.added and not report.replaced
    # Other chunk settings still need the model to be checked, and are refused.
    with pytest.raises(IndexMismatchError):
        ingest(
            [corpus], settings.model_copy(update={"chunk_tokens": 60}), FakeEmbedder, store, progress=False
        )


def test_an_ingest_taken_in_windows_ends_like_one_taken_whole(
    make_desk: MakeDesk, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (corpus / "repeat.jsonl").write_text(json.dumps({"id": "rec-2", "title": "Again", "text": "Copy. " * 9}))
    whole = make_desk(**INDEX).ingest([corpus], progress=False)
    monkeypatch.setattr("qa.indexing.INGEST_WINDOW_ARTICLES", 1)  # one article read and embedded at a time
    desk = make_desk(**INDEX)
    windowed = desk.ingest([corpus], progress=False)
    assert sorted(windowed.added) == sorted(whole.added) and len(windowed.added) == 3
    assert [r.reason for r in windowed.rejected] == ["duplicate of article rec-2 in this ingest"]
    assert windowed.chunks_written == whole.chunks_written
    again = desk.ingest([corpus], progress=False)
    assert len(again.unchanged) == 3 and not again.added


def test_changed_article_replaces_all_its_chunks(make_desk: MakeDesk, corpus: Path) -> None:
    desk = make_desk(**INDEX)
    desk.ingest([corpus], progress=False)
    before = desk.get_article("rec-1")
    assert before is not None and before.chunks > 1

    (corpus / "feed.jsonl").write_text(
        json.dumps(
            {"id": "rec-1", "title": "Storm hits coast", "text": "A short update on the storm tonight."}
        )
        + "\n"
    )
    report = desk.ingest([corpus / "feed.jsonl"], progress=False)
    assert report.replaced == ["rec-1"]
    after = desk.get_article("rec-1")
    assert after is not None and after.chunks == 1
    assert desk.stats().chunks == sum(a.chunks for a in desk.list_articles())


def test_edited_text_file_replaces_its_previous_version(make_desk: MakeDesk, corpus: Path) -> None:
    desk = make_desk(**INDEX)
    desk.ingest([corpus], progress=False)
    (corpus / "council.txt").write_text(STORY * 6 + "The mayor signed it on Tuesday.")
    report = desk.ingest([corpus / "council.txt"], progress=False)
    assert len(report.added) == 1 and len(report.removed) == 1
    assert len(desk.list_articles()) == 3


def test_a_bad_file_is_reported_and_the_rest_is_ingested(make_desk: MakeDesk, corpus: Path) -> None:
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    with (corpus / "feed.jsonl").open("a") as feed:
        feed.write("{not json\n")
    report = make_desk(**INDEX).ingest([corpus], progress=False)
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
    make_desk: MakeDesk, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("qa.indexing.EMBED_BATCH_CHUNKS", 2)  # two chunks per embedding call
    monkeypatch.setattr("qa.indexing.WRITE_BATCH_CHUNKS", 2)  # articles written as soon as they are done
    store = InMemoryStore()
    crashed = make_desk(embedder=_CrashingEmbedder(crash_after=2), store=store, **INDEX)
    with pytest.raises(KeyboardInterrupt):
        crashed.ingest([corpus], progress=False)
    # Four chunks were embedded: the articles they completed are written whole, the rest not at all.
    written = crashed.list_articles()
    assert written and sum(a.chunks for a in written) <= 4
    stored = Counter(c.article_id for c in crashed.evaluation().indexed_chunks())
    assert stored == {a.id: a.chunks for a in written}  # no half-indexed article, no orphan chunk

    resumed = make_desk(store=store, **INDEX)
    resumed.ingest([corpus], progress=False)

    clean = make_desk(**INDEX)
    clean.ingest([corpus], progress=False)
    assert [(a.id, a.chunks, a.content_hash) for a in resumed.list_articles()] == [
        (a.id, a.chunks, a.content_hash) for a in clean.list_articles()
    ]
    assert resumed.stats().chunks == clean.stats().chunks
    assert list(resumed.evaluation().indexed_chunks()) == list(clean.evaluation().indexed_chunks())


def test_delete_removes_the_article_and_every_chunk(make_desk: MakeDesk, corpus: Path) -> None:
    desk = make_desk(**INDEX)
    desk.ingest([corpus], progress=False)
    storm = desk.get_article("rec-1")
    assert storm is not None
    total = desk.stats().chunks
    deleted = desk.delete("https://news.example/storm/?utm_source=x")
    assert deleted is not None
    assert (deleted.id, deleted.title, deleted.chunks) == ("rec-1", "Storm hits coast", storm.chunks)
    assert desk.get_article("rec-1") is None
    assert desk.stats().chunks == total - storm.chunks
    assert all(c.article_id != "rec-1" for c in desk.evaluation().indexed_chunks())
    assert desk.delete("rec-1") is None


def test_second_writer_says_whom_it_waits_for_then_gets_a_clear_error(
    make_desk: MakeDesk, corpus: Path, caplog: pytest.LogCaptureFixture
) -> None:
    desk = make_desk(**INDEX)
    holder = f"PID {os.getpid()}"
    with caplog.at_level("WARNING"), write_lock(desk.settings):
        with pytest.raises(IndexBusyError, match=f"another ingest or delete \\({holder} "):
            desk.ingest([corpus], progress=False)
        assert f"waiting up to 0s for the ingest lock held by {holder} (" in caplog.text
    # Released: nothing left that names a holder, and the next writer goes straight in.
    assert not list(desk.settings.data_dir.glob("*.holder"))
    assert desk.ingest([corpus], progress=False).added


def test_collection_refuses_other_chunk_settings(make_desk: MakeDesk, corpus: Path) -> None:
    store = InMemoryStore()
    make_desk(store=store, **INDEX).ingest([corpus], progress=False)
    other = make_desk(store=store, **{**INDEX, "chunk_tokens": 60})
    with pytest.raises(IndexMismatchError, match="qa reset"):
        other.ingest([corpus], progress=False)


def test_reset_drops_the_collection_and_a_new_ingest_starts_afresh(make_desk: MakeDesk, corpus: Path) -> None:
    desk = make_desk(**INDEX)
    desk.ingest([corpus], progress=False)
    desk.reset()
    assert desk.stats().chunks == 0 and desk.list_articles() == []
    assert len(desk.ingest([corpus], progress=False).added) == 3


class _BatchRecordingEmbedder(FakeEmbedder):
    """FAKE embedder that records how many texts each call embeds."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    def embed(self, texts):  # type: ignore[no-untyped-def]
        self.batches.append(len(texts))
        return super().embed(texts)


def test_a_long_article_is_embedded_in_bounded_batches_and_written_once_whole(
    make_desk: MakeDesk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("qa.indexing.EMBED_BATCH_CHUNKS", 8)
    long = tmp_path / "long.txt"
    long.write_text(" ".join(f"Sentence number {i} of a very long report." for i in range(600)))
    short = tmp_path / "short.txt"
    short.write_text("The council approved the new bridge on Monday after a long debate.")
    embedder = _BatchRecordingEmbedder()
    desk = make_desk(embedder=embedder, **INDEX)
    report = desk.ingest([long, short], progress=False)
    chunks = {a.title[:8]: a.chunks for a in desk.list_articles()}
    assert len(report.added) == 2 and sum(chunks.values()) == report.chunks_written > 40
    assert max(embedder.batches) <= 8 and sum(embedder.batches) == report.chunks_written  # never all at once
    assert Counter(c.article_id for c in desk.evaluation().indexed_chunks()) == Counter(
        {a.id: a.chunks for a in desk.list_articles()}
    )


def test_an_article_over_the_size_limit_is_rejected_with_the_reason(
    make_desk: MakeDesk, tmp_path: Path
) -> None:
    huge = tmp_path / "huge.txt"
    huge.write_text("Word " * 2_000)  # 10,000 bytes: over 4 bytes per allowed character, so never read
    records = tmp_path / "records.jsonl"
    records.write_text(
        json.dumps({"id": "big", "title": "Big", "text": "Long story goes on. " * 100})
        + "\n"
        + json.dumps({"id": "ok", "title": "Fine", "text": "The council approved the new bridge."})
        + "\n"
    )
    desk = make_desk(max_article_chars=1_000, **INDEX)
    report = desk.ingest([huge, records], progress=False)
    reasons = {r.origin.rsplit("/", 1)[-1]: r.reason for r in report.rejected}
    assert reasons["huge.txt"].startswith(
        "file is too large for one article: 10,000 bytes, the limit is 4,000 "
    )
    assert reasons["records.jsonl#1"] == (
        "article is too long: 1,999 characters, the limit is 1,000 (QA_MAX_ARTICLE_CHARS); "
        "split it into separate articles"
    )
    assert report.added == ["ok"]
