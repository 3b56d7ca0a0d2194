"""Chunking: token budget, overlap by whole sentences, offsets, deterministic ids (sentences: test_text)."""

from __future__ import annotations

import pytest

from qa.chunking import ChunkingConfig, chunk_article, chunk_id
from qa.documents import Article
from qa.embedding.fake import FakeEmbedder

pytestmark = pytest.mark.unit

# FAKE tokenizer: whitespace words stand in for word pieces (the real tokenizer is used in integration tests).
WORDS = FakeEmbedder().token_offsets


def _article(text: str) -> Article:
    return Article(id="art", text=text, title="t", origin="o", content_hash="h")


def test_chunks_respect_budget_and_offsets_and_sentence_boundaries() -> None:
    sentences = [f"Sentence number {i} has exactly seven words." for i in range(40)]
    text = " ".join(sentences)
    config = ChunkingConfig(max_tokens=30, overlap_tokens=7)
    chunks = chunk_article(_article(text), config, WORDS)
    assert len(chunks) > 5
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert len(WORDS(chunk.text)) <= 30
        assert chunk.text.startswith("Sentence") and chunk.text.endswith(".")
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_neighbouring_chunks_overlap_by_whole_sentences() -> None:
    text = " ".join(f"Sentence number {i} has exactly seven words." for i in range(12))
    chunks = chunk_article(_article(text), ChunkingConfig(max_tokens=21, overlap_tokens=7), WORDS)
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert after.start < before.end  # one shared sentence
        assert text[after.start : before.end].count(".") == 1


def test_overlong_sentence_is_cut_at_token_bounds() -> None:
    text = " ".join(f"w{i}" for i in range(100)) + "."
    chunks = chunk_article(_article(text), ChunkingConfig(max_tokens=30, overlap_tokens=0), WORDS)
    assert [len(WORDS(c.text)) for c in chunks] == [30, 30, 30, 10]
    assert " ".join(c.text for c in chunks) == text


def test_chunk_ids_are_deterministic_and_carry_article_and_position() -> None:
    text = "One sentence here. Another one there. " * 20
    config = ChunkingConfig(max_tokens=12, overlap_tokens=3)
    first = chunk_article(_article(text), config, WORDS)
    second = chunk_article(_article(text), config, WORDS)
    assert first == second
    assert [c.id for c in first] == [chunk_id("art", i) for i in range(len(first))]
    assert len({c.id for c in first}) == len(first)


def test_invalid_config_is_refused() -> None:
    with pytest.raises(ValueError, match="invalid chunking config"):
        ChunkingConfig(max_tokens=10, overlap_tokens=10)
