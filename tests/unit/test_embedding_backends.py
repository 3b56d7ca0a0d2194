"""Choosing the embedding backend, binding an index to it, and the int8 export's cache (FAKE exporter)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from qa.embedding import create_embedder, embedder_name, settings_for_index
from qa.embedding import onnx_export as export
from qa.embedding.fake import FakeEmbedder
from qa.embedding.onnx_embedder import OnnxEmbedder
from qa.embedding.onnx_fp32 import OnnxFp32Embedder
from qa.embedding.onnx_int8 import OnnxInt8Embedder
from qa.errors import EmbeddingModelNotAvailable, IndexMismatchError
from qa.retrieval import RetrievalConfig, Retriever
from qa.settings import Settings
from qa.store.memory import InMemoryStore

pytestmark = pytest.mark.unit

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
INDEX = {"embedding_dimension": 384, "chunk_tokens": 200, "chunk_overlap_tokens": 40}


def _record_arguments(embedder: Any, name: str, **kwargs: Any) -> None:
    """FAKE stand-in for OnnxEmbedder.__init__: records its arguments, loads and exports nothing."""
    embedder.name, embedder.kwargs = name, kwargs


@pytest.mark.parametrize(
    ("backend", "embedder_class"), [("onnx-int8", OnnxInt8Embedder), ("onnx-fp32", OnnxFp32Embedder)]
)
def test_onnx_backends_are_built_with_the_cache_dir_and_batch_size(
    backend: str,
    embedder_class: type[OnnxEmbedder],
    make_settings: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(OnnxEmbedder, "__init__", _record_arguments)
    settings = make_settings(embedding_backend=backend, model_cache_dir=tmp_path, embedding_batch_size=8)
    embedder: Any = create_embedder(settings)
    assert type(embedder) is embedder_class
    assert embedder.name == MINILM
    assert embedder.kwargs == {"cache_dir": tmp_path / "embeddings", "batch_size": 8}
    assert embedder_name(settings) == f"{MINILM}@{backend}"


def test_backend_is_read_from_the_environment_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_EMBEDDING_BACKEND", "onnx-int8")
    assert Settings(_env_file=None).embedding_backend == "onnx-int8"  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="embedding_backend"):
        Settings(embedding_backend="onnx")  # type: ignore[arg-type]


def test_the_recorded_model_name_says_which_settings_embed_alike() -> None:
    assert (
        settings_for_index(MINILM + "@onnx-int8")
        == f"QA_EMBEDDING_BACKEND=onnx-int8 QA_EMBEDDING_MODEL={MINILM}"
    )
    assert (
        settings_for_index(MINILM)
        == f"QA_EMBEDDING_BACKEND=sentence-transformers QA_EMBEDDING_MODEL={MINILM}"
    )


def test_an_fp32_index_refuses_int8_vectors_and_says_how_to_switch() -> None:
    store = InMemoryStore()
    store.check_config({"embedding_model": MINILM, **INDEX})
    with pytest.raises(IndexMismatchError) as raised:
        store.check_config({"embedding_model": MINILM + "@onnx-int8", **INDEX})
    message = str(raised.value)
    assert "QA_EMBEDDING_BACKEND=sentence-transformers" in message and "qa reset" in message


def test_an_int8_index_refuses_fp32_questions_and_says_how_to_switch(
    make_settings: Callable[..., Settings],
) -> None:
    store = InMemoryStore()
    store.check_config({"embedding_model": MINILM + "@onnx-int8", **INDEX})
    fp32 = FakeEmbedder()
    fp32.name = MINILM
    with pytest.raises(IndexMismatchError, match="QA_EMBEDDING_BACKEND=onnx-int8 QA_EMBEDDING_MODEL="):
        Retriever(RetrievalConfig.from_settings(make_settings()), fp32, store, store.stored_config())


def test_signed_int8_weights_only_where_the_cpu_has_vnni() -> None:
    assert export.quantization_recipe({"avx2", "fma", "avx512_vnni"}) == "vnni"
    assert export.quantization_recipe({"avx2", "fma", "avx_vnni"}) == "vnni"
    assert export.quantization_recipe({"avx2", "fma"}) == "avx2"
    assert export.quantization_recipe(set()) == "avx2"


def test_the_export_dir_follows_the_model_files_and_the_recipe(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.safetensors").write_bytes(b"weights")
    first = export.export_dir(MINILM, str(model), tmp_path / "cache", "vnni")
    assert first.name.startswith("all-MiniLM-L6-v2-onnx-int8-vnni-")
    assert export.export_dir(MINILM, str(model), tmp_path / "cache", "vnni") == first
    assert export.export_dir(MINILM, str(model), tmp_path / "cache", "avx2") != first
    (model / "model.safetensors").write_bytes(b"retrained weights")
    assert export.export_dir(MINILM, str(model), tmp_path / "cache", "vnni") != first


def _fake_export(calls: list[Path], *, fail: bool = False) -> Callable[[str, Path, str], None]:
    """FAKE exporter: writes the files a real export leaves (or half of them, then fails)."""

    def run(location: str, out: Path, recipe: str) -> None:
        calls.append(out)
        (out / export.MODEL_FILE).write_bytes(b"onnx")
        if fail:
            raise RuntimeError("killed half way")
        (out / export.TOKENIZER_FILE).write_text("{}")
        (out / export.META_FILE).write_text("{}")

    return run


def test_the_export_is_made_once_then_reused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[Path] = []
    monkeypatch.setattr(export, "_export", _fake_export(calls))
    first = export.ensure_int8_export(MINILM, str(tmp_path), tmp_path / "cache")
    again = export.ensure_int8_export(MINILM, str(tmp_path), tmp_path / "cache")
    assert first == again and len(calls) == 1
    assert calls[0].parent == first.parent and calls[0] != first  # written beside it, then renamed
    assert (first / export.MODEL_FILE).read_bytes() == b"onnx"


def test_a_failed_export_leaves_nothing_half_made(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[Path] = []
    monkeypatch.setattr(export, "_export", _fake_export(calls, fail=True))
    cache = tmp_path / "cache"
    with pytest.raises(RuntimeError, match="half way"):
        export.ensure_int8_export(MINILM, str(tmp_path), cache)
    assert [p.name for p in cache.iterdir() if not p.name.endswith(".lock")] == []
    # The next start exports afresh rather than trusting what was left.
    monkeypatch.setattr(export, "_export", _fake_export(calls))
    made = export.ensure_int8_export(MINILM, str(tmp_path), cache)
    assert len(calls) == 2 and sorted(os.listdir(made)) == sorted(
        [export.MODEL_FILE, export.TOKENIZER_FILE, export.META_FILE]
    )


def test_an_unwritable_cache_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(EmbeddingModelNotAvailable, match="QA_MODEL_CACHE_DIR"):
        export.ensure_int8_export(MINILM, str(tmp_path), blocker / "cache")


def test_the_name_an_index_records_is_known_without_loading_the_model(
    make_settings: Callable[..., Settings],
) -> None:
    # What a re-ingest of an unchanged corpus compares with the index, so that it need not load a model.
    assert embedder_name(make_settings(embedding_backend="sentence-transformers")) == MINILM
    assert embedder_name(make_settings(embedding_backend="onnx-int8")) == MINILM + "@onnx-int8"
    assert embedder_name(make_settings(embedding_backend="fake")) == FakeEmbedder().name


def test_an_onnx_fp32_index_says_which_settings_embed_alike_and_refuses_torch_vectors() -> None:
    assert (
        settings_for_index(MINILM + "@onnx-fp32")
        == f"QA_EMBEDDING_BACKEND=onnx-fp32 QA_EMBEDDING_MODEL={MINILM}"
    )
    store = InMemoryStore()
    store.check_config({"embedding_model": MINILM + "@onnx-fp32", **INDEX})
    with pytest.raises(IndexMismatchError, match="QA_EMBEDDING_BACKEND=onnx-fp32"):
        store.check_config({"embedding_model": MINILM, **INDEX})


def test_the_fp32_export_has_its_own_directory_and_recipe(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    recipes: list[str] = []
    fake = _fake_export([])

    def recording(location: str, out: Path, recipe: str) -> None:
        recipes.append(recipe)
        fake(location, out, recipe)

    monkeypatch.setattr(export, "_export", recording)
    fp32 = export.ensure_export(MINILM, str(tmp_path), tmp_path / "cache", export.FP32_RECIPE)
    int8 = export.ensure_export(MINILM, str(tmp_path), tmp_path / "cache", "vnni")
    assert fp32.name.startswith("all-MiniLM-L6-v2-onnx-fp32-") and int8.name.startswith(
        "all-MiniLM-L6-v2-onnx-int8-vnni-"
    )
    assert recipes == [export.FP32_RECIPE, "vnni"]
    assert export.export_kind(export.FP32_RECIPE) == "fp32" and export.export_kind("avx2") == "int8-avx2"
