"""Unit tests for the stage configs: built from Settings, recorded whole, and the backend registry."""

from __future__ import annotations

import dataclasses
import importlib
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import ValidationError

from qa.answer.engine import AnswerConfig
from qa.backends import EMBEDDING_BACKENDS, LLM_BACKENDS, STORE_BACKENDS
from qa.embedding.fake import FakeEmbedder
from qa.eval.runner import EvalOptions, run_config
from qa.indexing import IndexConfig, index_config
from qa.llm import LlmConfig
from qa.retrieval import RetrievalConfig
from qa.service import NewsDesk
from qa.settings import Settings
from qa.web.app import WebConfig

pytestmark = pytest.mark.unit

STAGE_CONFIGS = (RetrievalConfig, AnswerConfig, LlmConfig)  # what an evaluation run depends on
MakeDesk = Callable[..., NewsDesk]


def _run_config(desk: NewsDesk, tmp_path: Path, *, retrieval_only: bool) -> dict[str, object]:
    options = EvalOptions(tmp_path / "a.jsonl", tmp_path / "q.jsonl", retrieval_only=retrieval_only)
    (tmp_path / "q.jsonl").write_text("", encoding="utf-8")
    return run_config(options, desk.evaluation(), "0" * 64)


@pytest.mark.parametrize("config_class", [*STAGE_CONFIGS, WebConfig])
def test_a_stage_config_is_frozen_and_its_fields_are_settings(
    config_class: type, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings()
    config = config_class.from_settings(settings)
    for field in dataclasses.fields(config_class):
        assert getattr(config, field.name) == getattr(settings, field.name), field.name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(config, dataclasses.fields(config_class)[0].name, None)


def test_every_field_of_each_stage_config_is_in_the_recorded_run_config(
    make_desk: MakeDesk, tmp_path: Path
) -> None:
    desk = make_desk(k=7, fusion_rrf_k=30.0, evidence_sentences=3, llm_max_tokens=99, llm_api_key="sk-x")
    answering = _run_config(desk, tmp_path, retrieval_only=False)
    retrieval_only = _run_config(desk, tmp_path, retrieval_only=True)
    for config_class in (*STAGE_CONFIGS, IndexConfig):
        for field in dataclasses.fields(config_class):
            assert field.name in answering, f"{config_class.__name__}.{field.name} is not recorded"
            assert field.name in retrieval_only, f"{config_class.__name__}.{field.name} is not recorded"
    # Recorded as used: the values of the settings, the answer side left out of a retrieval-only run.
    assert (answering["k"], answering["fusion_rrf_k"], retrieval_only["k"]) == (7, 30.0, 7)
    assert (answering["evidence_sentences"], answering["llm_max_tokens"]) == (3, 99)
    assert retrieval_only["evidence_sentences"] is None and retrieval_only["llm"] is None
    assert answering["llm_api_key"] == "set"  # whether a key is set, never the key


def test_the_index_fingerprint_keeps_its_keys_and_values(make_settings: Callable[..., Settings]) -> None:
    # Indexes record this dict; a key or value changed for the same settings would refuse every one.
    embedder = FakeEmbedder()
    assert index_config(make_settings(), embedder) == {
        "embedding_model": "fake-hashing-embedder",
        "embedding_dimension": 256,
        "chunk_tokens": 200,
        "chunk_overlap_tokens": 40,
        "chunk_context": "headline",
    }
    # Headline off: the key is absent, not "none" (indexes from before the setting have none).
    assert index_config(make_settings(chunk_headline=False, chunk_tokens=500), embedder) == {
        "embedding_model": "fake-hashing-embedder",
        "embedding_dimension": 256,
        "chunk_tokens": 254,  # capped at what the model reads
        "chunk_overlap_tokens": 40,
    }


@pytest.mark.parametrize(
    ("setting", "table"),
    [
        ("llm_mode", LLM_BACKENDS),
        ("embedding_backend", EMBEDDING_BACKENDS),
        ("store_backend", STORE_BACKENDS),
    ],
)
def test_settings_refuse_an_unregistered_backend_naming_the_known_ones(setting: str, table: dict) -> None:
    with pytest.raises(ValidationError, match=f"unknown {setting} 'nope'; expected one of") as refused:
        Settings(**{setting: "nope"})  # type: ignore[arg-type]
    assert all(repr(name) in str(refused.value) for name in table)


@pytest.mark.parametrize(
    ("table", "functions"),
    [
        (LLM_BACKENDS, ("label", "chat_model")),
        (EMBEDDING_BACKENDS, ("index_name", "create")),
        (STORE_BACKENDS, ("open_store",)),
    ],
)
def test_every_registered_backend_module_has_its_seams_functions(
    table: dict[str, str], functions: tuple[str, ...]
) -> None:
    for name, module_name in table.items():
        module = importlib.import_module(module_name)
        assert all(callable(getattr(module, f, None)) for f in functions), name


def test_settings_import_no_backend_module() -> None:
    # The table names modules: checking a name imports none of them (nor torch, chromadb, xllamacpp).
    modules = [*LLM_BACKENDS.values(), *EMBEDDING_BACKENDS.values(), *STORE_BACKENDS.values()]
    code = (
        "import sys; from qa.settings import Settings; Settings(_env_file=None); "
        f"print([m for m in {modules + ['torch', 'chromadb', 'xllamacpp']!r} if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.stdout.strip() == "[]"


def test_a_run_resumes_across_how_the_model_is_run(tmp_path: Path) -> None:
    # Threads, timeouts and log level are recorded but change no answer: the same command still resumes.
    from qa.eval.rundir import prepare_run_dir

    out = prepare_run_dir(tmp_path / "run", tmp_path, {"k": 5, "llm_threads": 2})
    assert prepare_run_dir(out, tmp_path, {"k": 5, "llm_threads": 8}) == out
    assert prepare_run_dir(None, tmp_path, {"k": 5, "llm_log_level": 3}) == out
