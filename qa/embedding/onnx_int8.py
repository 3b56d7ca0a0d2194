"""The fast embedder: the model's int8 ONNX export (made once, locally) run by ONNX Runtime.

Only onnxruntime, tokenizers and numpy load at run time (no torch): a process starts in a fraction of
the time. The tokenizer is the torch model's own, saved with the export, so chunks and token offsets are
the same as with `QA_EMBEDDING_BACKEND=sentence-transformers`; the vectors are within ~0.99 cosine.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.embedding import INT8_SUFFIX
from qa.embedding.onnx_export import META_FILE, MODEL_FILE, TOKENIZER_FILE, ensure_int8_export
from qa.embedding.sentence_transformer import resolve_model_location

if TYPE_CHECKING:
    from qa.settings import Settings


class Int8Session:
    """An exported model directory, loaded: tokenizer, ONNX Runtime session and the export's metadata."""

    def __init__(self, model_dir: Path) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.meta: dict[str, Any] = json.loads((model_dir / META_FILE).read_text(encoding="utf-8"))
        # Two copies of one tokenizer, as its settings are state: offsets see the whole text, while the
        # model sees at most max_seq_length tokens (special ones included), as sentence-transformers does.
        self.tokenizer = Tokenizer.from_file(str(model_dir / TOKENIZER_FILE))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self._model_tokenizer = Tokenizer.from_file(str(model_dir / TOKENIZER_FILE))
        self._model_tokenizer.no_padding()  # padded per batch below, to that batch's longest text
        self._model_tokenizer.enable_truncation(max_length=int(self.meta["max_seq_length"]))
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # errors only: the fused ops' shape-inference notes are noise
        self._session = onnxruntime.InferenceSession(
            str(model_dir / MODEL_FILE), options, providers=["CPUExecutionProvider"]
        )

    def embed(self, texts: Sequence[str], *, batch_size: int) -> list[list[float]]:
        """Unit-length vectors, one per text; batches of similar length, so little is padding."""
        import numpy as np

        encodings = self._model_tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids), reverse=True)
        vectors = np.empty((len(texts), int(self.meta["dimension"])), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            vectors[batch] = self._session.run(None, self._feeds([encodings[i] for i in batch]))[0]
        return [[float(x) for x in row] for row in vectors]

    def _feeds(self, encodings: list[Any]) -> dict[str, Any]:
        import numpy as np

        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), int(self.meta["pad_token_id"]), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            n = len(encoding.ids)
            ids[row, :n] = encoding.ids
            mask[row, :n] = encoding.attention_mask
            types[row, :n] = encoding.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        return {name: feeds[name] for name in self.meta["inputs"]}


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
