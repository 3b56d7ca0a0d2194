"""The backend registry: for each seam (LLM, embedder, store) its backends by name, and the module of each.

A new backend is one entry here and its module. Modules are named, not imported: a backend's module (and
the heavy libraries it loads: torch, xllamacpp, chromadb) is imported only when that backend is used, so
`qa --help` stays instant. `Settings` refuses a name that is not in its seam's table.

What a module provides, by seam:
- LLM (`qa.llm`): `label(config: LlmConfig) -> str` and `chat_model(config, server=None)`; optionally
  `open_backend(config, label) -> ChatBackend` (for its own token counter or a server it owns).
- embedder (`qa.embedding`): `index_name(settings) -> str` (what an index records, without loading the
  model; the module must not import its heavy libraries at the top) and `create(settings) -> Embedder`.
- store (`qa.store`): `open_store(settings) -> Store`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType

LLM_BACKENDS: Mapping[str, str] = {
    "local": "qa.llm.local",  # the packaged GGUF served by llama.cpp
    "openai": "qa.llm.openai_compat",  # any OpenAI-compatible endpoint
    "fake": "qa.llm.fake",  # labelled fake for tests
}
EMBEDDING_BACKENDS: Mapping[str, str] = {
    "sentence-transformers": "qa.embedding.sentence_transformer",  # the model on torch, fp32
    "onnx-int8": "qa.embedding.onnx_int8",  # the same model as int8 ONNX, exported once
    "onnx-fp32": "qa.embedding.onnx_fp32",  # the same model as fused fp32 ONNX: torch-free, same vectors
    "fake": "qa.embedding.fake",  # hashing, tests
}
STORE_BACKENDS: Mapping[str, str] = {
    "chroma": "qa.store.chroma",  # embedded or a server
    "memory": "qa.store.memory",  # this process only
}


def checked_name(table: Mapping[str, str], setting: str, name: str) -> str:
    """`name` if `table` registers it; otherwise a ValueError naming the setting and what it may be."""
    if name not in table:
        expected = ", ".join(repr(known) for known in table)
        raise ValueError(f"unknown {setting} {name!r}; expected one of {expected}")
    return name


def backend_module(table: Mapping[str, str], setting: str, name: str) -> ModuleType:
    """The module implementing backend `name` of a seam, imported now (its first use)."""
    return importlib.import_module(table[checked_name(table, setting, name)])
