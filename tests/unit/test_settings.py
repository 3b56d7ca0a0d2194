"""Settings: env prefix, validation, and the README's settings table kept true."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from qa.settings import Settings
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.unit


def test_environment_variables_use_the_qa_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("QA_CHROMA_PORT", "9001")
    monkeypatch.setenv("QA_LLM_MODE", "openai")
    settings = Settings()
    assert (settings.chroma_host, settings.chroma_port, settings.llm_mode) == ("127.0.0.1", 9001, "openai")


def test_invalid_values_are_refused_with_the_field_named() -> None:
    with pytest.raises(ValidationError, match="chunk_overlap_tokens"):
        Settings(chunk_tokens=50, chunk_overlap_tokens=50)
    with pytest.raises(ValidationError, match="llm_mode"):
        Settings(llm_mode="gpt")
    with pytest.raises(ValidationError, match="collection"):
        Settings(collection="no spaces allowed")


def test_paths_derive_from_the_data_dir() -> None:
    settings = Settings(data_dir=Path("/tmp/x"))
    assert settings.chroma_path == Path("/tmp/x/chroma")
    assert settings.lock_path == Path("/tmp/x/ingest.lock")


def test_readme_documents_every_setting() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    missing = [name for name in Settings.model_fields if f"`QA_{name.upper()}`" not in readme]
    assert missing == [], f"README settings table lacks {missing}"
