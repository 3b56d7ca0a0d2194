"""The fp32 ONNX embedder on the real bundled MiniLM: exported offline, the torch model's vectors, tokens."""

from __future__ import annotations

import math

import pytest

from qa.embedding.onnx_fp32 import OnnxFp32Embedder
from qa.embedding.sentence_transformer import SentenceTransformerEmbedder
from qa.settings import DEFAULT_EMBEDDING_MODEL
from tests.conftest import export_offline

pytestmark = pytest.mark.integration

# Measured on 330 dev chunks and 105 dev questions: lowest cosine with torch 0.99999 (the same fp32
# arithmetic, summed in another order). Anything lower is a wrong graph, not rounding.
MIN_COSINE = 0.9999

TEXTS = [
    "The central bank held rates steady on Thursday, citing easing inflation.",
    "Short.",
    "Ünïcödé, emoji 🚀 and tabs\tin\ttext",
    "A long one, cut at the model's 256 tokens. " + "The match ended with a penalty shoot-out. " * 60,
]


@pytest.fixture(scope="module")
def onnx_fp32(tmp_path_factory: pytest.TempPathFactory) -> OnnxFp32Embedder:
    """The fp32 export, made in a process that cannot reach any model hub, then loaded here."""
    cache = tmp_path_factory.mktemp("model-cache")
    export_offline("onnx-fp32", DEFAULT_EMBEDDING_MODEL, cache, says="fp32 ONNX once")
    return OnnxFp32Embedder(DEFAULT_EMBEDDING_MODEL, cache_dir=cache / "embeddings")


def test_vectors_and_tokens_are_the_torch_models(onnx_fp32: OnnxFp32Embedder) -> None:
    torch = SentenceTransformerEmbedder(DEFAULT_EMBEDDING_MODEL)
    fast, reference = onnx_fp32.embed(TEXTS), torch.embed(TEXTS)
    assert onnx_fp32.dimension == torch.dimension and onnx_fp32.max_tokens == torch.max_tokens
    assert all(math.isclose(math.hypot(*v), 1.0, abs_tol=1e-4) for v in fast)
    cosines = [sum(a * b for a, b in zip(u, v, strict=True)) for u, v in zip(fast, reference, strict=True)]
    assert min(cosines) > MIN_COSINE, cosines
    for text in TEXTS:
        assert onnx_fp32.token_offsets(text) == torch.token_offsets(text)
