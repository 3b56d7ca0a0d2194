"""Test tiers (haystack style): every test is `unit` (offline, network blocked, fakes allowed and
labelled) or `integration` (real embedding model, real Chroma embedded and server, real local LLM)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from qa.documents import ArticleInfo, Chunk, ScoredChunk
from qa.embedding.fake import FakeEmbedder
from qa.service import NewsDesk
from qa.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
# The article the product brief started from, as it was given: plain text, no title line, the site's
# quiz prompt and teaser headlines after the story. The demo in samples/ is the same story as a record
# with its headline, date and outlet.
SEED_ARTICLE = REPO_ROOT / "tests" / "data" / "seed" / "huawei-5g-licence.txt"
SAMPLE_ARTICLE = REPO_ROOT / "samples" / "huawei-5g-licence.json"


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    """Write `records` as a JSON-lines file (articles or questions for a test) and return its path."""
    import json

    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


TIERS = ("unit", "integration")
# The keys of `qa ask --json` that later tooling reads: the contract both tiers check.
ASK_JSON_KEYS = {
    "question",
    "answer",
    "abstained",
    "abstain_reason",
    "judgment",
    "newest_source_date",
    "citations",
    "retrieved",
    "timings_ms",
    "llm",
    "embedding_model",
}


def scored_hit(
    article_id: str, published: str, text: str, outlet: str | None = None, *, title: str | None = None
) -> ScoredChunk:
    """One search hit: a single chunk holding `text`, of an article published on `published`."""
    info = ArticleInfo(
        id=article_id, title=title or f"Report {article_id}", published=published, source=outlet
    )
    return ScoredChunk(Chunk(f"{article_id}#0", article_id, 0, text, 0, len(text)), info, 0.5)


# A subprocess that exports `backend`'s embedder into the cache of argv[2] and prints what it built.
_EXPORT_EMBEDDER = """
from pathlib import Path
import sys
from qa.embedding import create_embedder
from qa.settings import Settings
backend, model, cache = sys.argv[1:]
settings = Settings(embedding_backend=backend, embedding_model=model, model_cache_dir=Path(cache))
embedder = create_embedder(settings)
print(embedder.name, embedder.dimension)
"""


def export_offline(backend: str, model: str, cache: Path, *, says: str) -> None:
    """Export `backend`'s embedder of `model` into `cache` in a process that cannot reach any model hub.

    It must build the index name `model@backend` at 384 dimensions and say `says` on stderr (a one-off
    step tells the user what it is doing)."""
    import os
    import subprocess
    import sys

    offline = {"HF_HUB_OFFLINE": "1", "HF_ENDPOINT": "http://127.0.0.1:9", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", _EXPORT_EMBEDDER, backend, model, str(cache)],
        cwd=REPO_ROOT,
        env={**os.environ, **offline},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == [f"{model}@{backend}", "384"]
    assert says in done.stderr


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Refuse tests that don't say which tier they belong to."""
    unmarked = [item.nodeid for item in items if not any(item.get_closest_marker(t) for t in TIERS)]
    if unmarked:
        raise pytest.UsageError(f"tests without a unit/integration marker: {unmarked}")


@pytest.fixture(autouse=True)
def _block_network_in_unit_tests(request: pytest.FixtureRequest) -> Iterator[None]:
    """Unit tests may not open network sockets (unix sockets stay allowed)."""
    if request.node.get_closest_marker("unit") is None:
        yield
        return
    from pytest_socket import disable_socket, enable_socket

    disable_socket(allow_unix_socket=True)
    try:
        yield
    finally:
        enable_socket()


@pytest.fixture(autouse=True)
def _no_database_on_disk_in_unit_tests(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unit tests use the in-memory store: opening Chroma (on disk or a server) fails them."""
    if request.node.get_closest_marker("unit") is None:
        return

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("unit tests run off disk: use the in-memory store (make_desk / make_settings)")

    monkeypatch.setattr("qa.store.chroma.open_store", refuse)


@pytest.fixture
def seed_article() -> Path:
    """The article the product brief started from, as it was given (tests/data/seed/)."""
    return SEED_ARTICLE


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings for one test: no `.env`, a temp data dir, and (unless overridden) the in-memory store,
    the FAKE embedder and the FAKE chat model, so that nothing heavy loads."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "collection": "test",
            "store_backend": "memory",
            "embedding_backend": "fake",
            "llm_mode": "fake",
            "lock_timeout_s": 1,
            # Calibrated on MiniLM's similarities; the FAKE embedder's are on another scale.
            "min_best_score": -1.0,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make


@pytest.fixture
def make_desk(make_settings: Callable[..., Settings]) -> Callable[..., NewsDesk]:
    """A NewsDesk from `make_settings(**overrides)`, with a FAKE embedder (which counts what it embeds)
    unless one is given, and any store or chat model given."""

    def make(
        *, embedder: Any = None, store: Any = None, chat_model: Any = None, **overrides: Any
    ) -> NewsDesk:
        return NewsDesk(
            make_settings(**overrides),
            embedder=embedder or FakeEmbedder(),
            store=store,
            chat_model=chat_model,
        )

    return make
