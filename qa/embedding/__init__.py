"""Stage 4a: turn texts into vectors. One small `Embedder` interface; backends registered in `qa.backends`.

To add a backend: a module of this package with a class satisfying `Embedder`, `create(settings)` and
`index_name(settings)` (light: no heavy import at its top), and one entry in `EMBEDDING_BACKENDS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Protocol

from qa.backends import EMBEDDING_BACKENDS, backend_module

if TYPE_CHECKING:
    from qa.settings import Settings

INT8_SUFFIX = "@onnx-int8"  # on the int8 embedder's name, so an index records which vectors it holds
FP32_ONNX_SUFFIX = "@onnx-fp32"  # the ONNX fp32 embedder's: equal vectors, but not mixed with torch's unasked
_SUFFIX_BACKENDS = {INT8_SUFFIX: "onnx-int8", FP32_ONNX_SUFFIX: "onnx-fp32"}


class Embedder(Protocol):
    """Embeds texts and measures them in the model's own tokens."""

    name: str
    dimension: int
    max_tokens: int  # longest input, in word pieces, special tokens excluded

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Unit-length vectors, one per text."""
        ...

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the tokens of `text` (special tokens excluded)."""
        ...


def embedder_name(settings: Settings) -> str:
    """The name the embedder the settings ask for will have (what an index records), without loading it."""
    return str(_module(settings).index_name(settings))


def create_embedder(settings: Settings) -> Embedder:
    """Build the embedder the settings ask for; heavy libraries are imported only on that path."""
    embedder: Embedder = _module(settings).create(settings)
    return embedder


def _module(settings: Settings) -> ModuleType:
    return backend_module(EMBEDDING_BACKENDS, "embedding_backend", settings.embedding_backend)


def settings_for_index(embedding_model: str) -> str:
    """The settings that embed like an index whose recorded `embedding_model` is this (for messages)."""
    for suffix, backend in _SUFFIX_BACKENDS.items():
        if embedding_model.endswith(suffix):
            return f"QA_EMBEDDING_BACKEND={backend} QA_EMBEDDING_MODEL={embedding_model.removesuffix(suffix)}"
    return f"QA_EMBEDDING_BACKEND=sentence-transformers QA_EMBEDDING_MODEL={embedding_model}"
