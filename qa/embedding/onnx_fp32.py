"""The torch-free fp32 embedder: the model's fused fp32 ONNX export (made once, locally) on ONNX Runtime.

The same arithmetic as torch in another order: vectors equal to `sentence-transformers`' to 5 decimal
places (cosine >= 0.99999 on the dev chunks), a process starts without torch, and embedding is a little
faster than torch (fused attention, layer norms and GELU). Still its own index name: an index built
with it is not mixed with torch's vectors unasked.
"""

from __future__ import annotations

from qa.embedding import FP32_ONNX_SUFFIX
from qa.embedding.onnx_embedder import OnnxEmbedder
from qa.embedding.onnx_export import FP32_RECIPE


class OnnxFp32Embedder(OnnxEmbedder):
    """A sentence-transformers model as a fused fp32 ONNX graph on ONNX Runtime (exported on first use)."""

    suffix = FP32_ONNX_SUFFIX

    @classmethod
    def recipe(cls) -> str:
        """No quantisation: the fused fp32 graph."""
        return FP32_RECIPE


# What the backend registry (`qa.backends`) asks of an embedder module.
index_name = OnnxFp32Embedder.index_name
create = OnnxFp32Embedder.from_settings
