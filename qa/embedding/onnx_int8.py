"""The fast embedder: the model's int8 ONNX export (made once, locally) run by ONNX Runtime.

Only onnxruntime, tokenizers and numpy load at run time (no torch): a process starts in a fraction of
the time. The tokenizer is the torch model's own, saved with the export, so chunks and token offsets are
the same as with `QA_EMBEDDING_BACKEND=sentence-transformers`; the vectors are within ~0.99 cosine.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from qa.embedding import INT8_SUFFIX
from qa.embedding.onnx_export import ensure_int8_export
from qa.embedding.onnx_session import Int8Session
from qa.embedding.sentence_transformer import resolve_model_location

if TYPE_CHECKING:
    from qa.settings import Settings


class OnnxInt8Embedder:
    """A sentence-transformers model quantised to int8 and run by ONNX Runtime (exported on first use)."""

    def __init__(self, name: str, *, cache_dir: Path, batch_size: int = 32) -> None:
        location = resolve_model_location(name)
        self._model = Int8Session(ensure_int8_export(name, location, cache_dir))
        self.name = name + INT8_SUFFIX
        self.dimension = int(self._model.meta["dimension"])
        self.max_tokens = int(self._model.meta["max_seq_length"]) - int(self._model.meta["special_tokens"])
        self._batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Unit-length vectors, one per text."""
        if not texts:
            return []
        return self._model.embed(texts, batch_size=self._batch_size)

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the word pieces of `text`, measured with the model's own tokenizer."""
        encoding = self._model.tokenizer.encode(text, add_special_tokens=False)
        return [(int(s), int(e)) for s, e in encoding.offsets]


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
