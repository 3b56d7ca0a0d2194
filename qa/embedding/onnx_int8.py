"""The int8 embedder: the model's int8 ONNX export (made once, locally) run by ONNX Runtime.

Vectors within ~0.99 cosine of fp32. Fast only on a CPU with VNNI (AVX-512 VNNI or AVX-VNNI): there
ONNX Runtime's int8 matrix products run at about twice fp32's speed; on plain AVX2 they run at fp32's,
and `onnx-fp32` is as fast with exact vectors (docs/PERFORMANCE.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from qa.embedding import INT8_SUFFIX
from qa.embedding.onnx_embedder import OnnxEmbedder
from qa.embedding.onnx_export import quantization_recipe

if TYPE_CHECKING:
    from qa.settings import Settings


class OnnxInt8Embedder(OnnxEmbedder):
    """A sentence-transformers model quantised to int8 and run by ONNX Runtime (exported on first use)."""

    def __init__(self, name: str, *, cache_dir: Path, batch_size: int = 32) -> None:
        super().__init__(
            name, suffix=INT8_SUFFIX, recipe=quantization_recipe(), cache_dir=cache_dir, batch_size=batch_size
        )


def index_name(settings: Settings) -> str:
    """What an index of this backend records: the model's name and the int8 suffix (nothing is loaded)."""
    return settings.embedding_model + INT8_SUFFIX


def create(settings: Settings) -> OnnxInt8Embedder:
    """The int8 embedder `settings` asks for (exported into the model cache the first time)."""
    return OnnxInt8Embedder(
        settings.embedding_model,
        cache_dir=settings.model_cache_dir / "embeddings",
        batch_size=settings.embedding_batch_size,
    )
