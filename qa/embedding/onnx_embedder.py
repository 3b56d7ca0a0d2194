"""The model's ONNX export (made once, locally) run by ONNX Runtime: what the int8 and fp32 backends share.

Only onnxruntime, tokenizers and numpy load at run time (no torch): a process starts in a fraction of
the time. The tokenizer is the torch model's own, saved with the export, so chunks and token offsets are
the same as with `QA_EMBEDDING_BACKEND=sentence-transformers`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Self

from qa.embedding.onnx_export import ensure_export
from qa.embedding.onnx_session import OnnxSession
from qa.embedding.sentence_transformer import resolve_model_location

if TYPE_CHECKING:
    from qa.settings import Settings


class OnnxEmbedder:
    """A sentence-transformers model exported with `recipe()`, run by ONNX Runtime (exported on first use).

    A backend is a subclass naming its index `suffix` and its export `recipe`; its module hands the
    registry (`qa.backends`) the class's `index_name` and `from_settings`.
    """

    suffix: ClassVar[str]  # what an index records after the model's name: which vectors it holds

    @classmethod
    def recipe(cls) -> str:
        """How `onnx_export` makes this backend's graph from the model."""
        raise NotImplementedError

    @classmethod
    def index_name(cls, settings: Settings) -> str:
        """What an index of this backend records: the model's name and the suffix (nothing is loaded)."""
        return settings.embedding_model + cls.suffix

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """The embedder `settings` asks for (exported into the model cache the first time)."""
        return cls(
            settings.embedding_model,
            cache_dir=settings.model_cache_dir / "embeddings",
            batch_size=settings.embedding_batch_size,
        )

    def __init__(self, name: str, *, cache_dir: Path, batch_size: int = 32) -> None:
        location = resolve_model_location(name)
        self._model = OnnxSession(ensure_export(name, location, cache_dir, self.recipe()))
        self.name = name + self.suffix
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
