"""An ONNX export (int8 or fp32), loaded and run: what both the embedder and the export's own check use.

Only onnxruntime, tokenizers and numpy load here (no torch). The file names of an export live here too,
so the exporter (which writes them) and the embedder (which reads them) both import this module and
neither imports the other.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "export.json"


class OnnxSession:
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
