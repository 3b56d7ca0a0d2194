"""The torch-free fp32 embedder: the model's fused fp32 ONNX export (made once, locally) on ONNX Runtime.

The same arithmetic as torch in another order: vectors equal to `sentence-transformers`' to 5 decimal
places (cosine >= 0.99999 on the dev chunks), a process starts without torch, and embedding is a little
faster than torch (fused attention, layer norms and GELU). Still its own index name: an index built
with it is not mixed with torch's vectors unasked.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from qa.embedding import FP32_ONNX_SUFFIX
from qa.embedding.onnx_embedder import OnnxEmbedder
from qa.embedding.onnx_export import FP32_RECIPE

if TYPE_CHECKING:
    from qa.settings import Settings


class OnnxFp32Embedder(OnnxEmbedder):
    """A sentence-transformers model as a fused fp32 ONNX graph on ONNX Runtime (exported on first use)."""

    def __init__(self, name: str, *, cache_dir: Path, batch_size: int = 32) -> None:
        super().__init__(
            name, suffix=FP32_ONNX_SUFFIX, recipe=FP32_RECIPE, cache_dir=cache_dir, batch_size=batch_size
        )


def index_name(settings: Settings) -> str:
    """What an index of this backend records: the model's name and the ONNX fp32 suffix (nothing loaded)."""
    return settings.embedding_model + FP32_ONNX_SUFFIX


def create(settings: Settings) -> OnnxFp32Embedder:
    """The ONNX fp32 embedder `settings` asks for (exported into the model cache the first time)."""
    return OnnxFp32Embedder(
        settings.embedding_model,
        cache_dir=settings.model_cache_dir / "embeddings",
        batch_size=settings.embedding_batch_size,
    )
