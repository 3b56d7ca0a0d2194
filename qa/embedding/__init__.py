"""Stage 4a: turn texts into vectors. One small `Embedder` interface; backends chosen in `create_embedder`.

To add a backend: implement `Embedder` in a module of this package and add a case to `create_embedder`
(and its name to `Settings.embedding_backend`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from qa.settings import Settings

INT8_SUFFIX = "@onnx-int8"  # on the int8 embedder's name, so an index records which vectors it holds


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
    match settings.embedding_backend:
        case "sentence-transformers":
            return settings.embedding_model
        case "onnx-int8":
            return settings.embedding_model + INT8_SUFFIX
        case "fake":
            from qa.embedding.fake import FAKE_EMBEDDER_NAME

            return FAKE_EMBEDDER_NAME


def create_embedder(settings: Settings) -> Embedder:
    """Build the embedder the settings ask for; heavy libraries are imported only on that path."""
    match settings.embedding_backend:
        case "sentence-transformers":
            from qa.embedding.sentence_transformer import SentenceTransformerEmbedder

            return SentenceTransformerEmbedder(
                settings.embedding_model,
                device=settings.embedding_device,
                batch_size=settings.embedding_batch_size,
            )
        case "onnx-int8":
            from qa.embedding.onnx_int8 import OnnxInt8Embedder

            return OnnxInt8Embedder(
                settings.embedding_model,
                cache_dir=settings.model_cache_dir / "embeddings",
                batch_size=settings.embedding_batch_size,
            )
        case "fake":
            from qa.embedding.fake import FakeEmbedder

            return FakeEmbedder()


def settings_for_index(embedding_model: str) -> str:
    """The settings that embed like an index whose recorded `embedding_model` is this (for messages)."""
    if embedding_model.endswith(INT8_SUFFIX):
        model = embedding_model.removesuffix(INT8_SUFFIX)
        return f"QA_EMBEDDING_BACKEND=onnx-int8 QA_EMBEDDING_MODEL={model}"
    return f"QA_EMBEDDING_BACKEND=sentence-transformers QA_EMBEDDING_MODEL={embedding_model}"
