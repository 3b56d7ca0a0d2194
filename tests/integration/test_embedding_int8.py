"""The int8 ONNX embedder on the real bundled MiniLM: exported offline, close to fp32, same tokens."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from qa.cleaning import clean_article
from qa.documents import Article
from qa.embedding.onnx_int8 import OnnxInt8Embedder
from qa.embedding.sentence_transformer import SentenceTransformerEmbedder
from qa.loaders import iter_raw_articles
from qa.settings import DEFAULT_EMBEDDING_MODEL
from tests.conftest import SEED_ARTICLE, export_offline

pytestmark = pytest.mark.integration

# Cosine with fp32, measured: chunks of the first 200 dev articles mean 0.995, lowest 0.987; the 120
# dev questions, each alone, lowest 0.990. A one-word text has the fewest tokens to average the
# rounding over: "Short." 0.978.
MIN_COSINE = 0.985
MIN_COSINE_ONE_WORD = 0.97


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh cache with the int8 export made in a process that cannot reach any model hub."""
    cache = tmp_path_factory.mktemp("model-cache")
    export_offline("onnx-int8", DEFAULT_EMBEDDING_MODEL, cache, says="Exporting embedding model")
    return cache / "embeddings"


@pytest.fixture(scope="module")
def int8(cache_dir: Path) -> OnnxInt8Embedder:
    """The int8 embedder, loaded from the export above (no second export)."""
    return OnnxInt8Embedder(DEFAULT_EMBEDDING_MODEL, cache_dir=cache_dir)


@pytest.fixture(scope="module")
def fp32() -> SentenceTransformerEmbedder:
    """The torch fp32 embedder of the same model."""
    return SentenceTransformerEmbedder(DEFAULT_EMBEDDING_MODEL)


@pytest.fixture(scope="module")
def seed_text() -> str:
    """The seed article's cleaned text."""
    (raw,) = list(iter_raw_articles([SEED_ARTICLE]))
    article = clean_article(raw)
    assert isinstance(article, Article)
    return article.text


def _texts(seed_text: str) -> list[str]:
    paragraphs = [p for p in seed_text.split("\n") if p.strip()]
    # One text over the model's 256 tokens, whose second half is about something else: if the two
    # embedders cut it at different places, their vectors part.
    long = " ".join(paragraphs) + " " + "The football season ended with a penalty shoot-out. " * 60
    return [*paragraphs[:12], "Short.", "Ünïcödé, emoji 🚀 and tabs\tin\ttext", long]


def test_vectors_are_unit_length_and_close_to_fp32(
    int8: OnnxInt8Embedder, fp32: SentenceTransformerEmbedder, seed_text: str
) -> None:
    texts = _texts(seed_text)
    fast, reference = int8.embed(texts), fp32.embed(texts)
    assert int8.dimension == fp32.dimension == 384 and int8.max_tokens == fp32.max_tokens
    assert all(len(v) == 384 and math.isclose(math.hypot(*v), 1.0, abs_tol=1e-4) for v in fast)
    cosines = [sum(a * b for a, b in zip(u, v, strict=True)) for u, v in zip(fast, reference, strict=True)]
    one_word = texts.index("Short.")
    assert cosines.pop(one_word) > MIN_COSINE_ONE_WORD
    assert min(cosines) > MIN_COSINE, cosines


def test_a_text_alone_embeds_as_in_a_batch(int8: OnnxInt8Embedder, seed_text: str) -> None:
    texts = _texts(seed_text)
    batch = int8.embed(texts)
    alone = int8.embed([texts[0]])[0]
    # Dynamic quantisation scales activations per batch, so not bit-identical (measured 0.992); as close
    # as either is to fp32, so a question (embedded alone) meets its passage (in a batch) the same way.
    assert sum(a * b for a, b in zip(alone, batch[0], strict=True)) > MIN_COSINE


def test_token_offsets_are_the_torch_models(
    int8: OnnxInt8Embedder, fp32: SentenceTransformerEmbedder, seed_text: str
) -> None:
    for text in [seed_text, *_texts(seed_text), "", "   ", "naïve café — “quoted” 2,500.75%"]:
        assert int8.token_offsets(text) == fp32.token_offsets(text)
