"""The int8 embedder: the model's int8 ONNX export (made once, locally) run by ONNX Runtime.

Vectors within ~0.99 cosine of fp32. Fast only on a CPU with VNNI (AVX-512 VNNI or AVX-VNNI): there
ONNX Runtime's int8 matrix products run at about twice fp32's speed; on plain AVX2 they run at fp32's,
and `onnx-fp32` is as fast with exact vectors (docs/PERFORMANCE.md).
"""

from __future__ import annotations

from qa.embedding import INT8_SUFFIX
from qa.embedding.onnx_embedder import OnnxEmbedder
from qa.embedding.onnx_export import quantization_recipe


class OnnxInt8Embedder(OnnxEmbedder):
    """A sentence-transformers model quantised to int8 and run by ONNX Runtime (exported on first use)."""

    suffix = INT8_SUFFIX

    @classmethod
    def recipe(cls) -> str:
        """The int8 recipe this CPU runs best (`quantization_recipe`)."""
        return quantization_recipe()


# What the backend registry (`qa.backends`) asks of an embedder module.
index_name = OnnxInt8Embedder.index_name
create = OnnxInt8Embedder.from_settings
