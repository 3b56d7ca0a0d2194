"""Test tiers (haystack style): every test is `unit` (offline, network blocked, fakes allowed and
labelled) or `integration` (real embedding model, real Chroma embedded and server, real local LLM)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SEED_ARTICLE = REPO_ROOT / "samples" / "huawei-5g-licence.txt"
TIERS = ("unit", "integration")
# The keys of `qa ask --json` that later tooling reads: the contract both tiers check.
ASK_JSON_KEYS = {
    "question",
    "answer",
    "abstained",
    "citations",
    "retrieved",
    "timings_ms",
    "llm",
    "embedding_model",
}


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


@pytest.fixture
def seed_article() -> Path:
    """The article the product brief started from (shipped in samples/)."""
    return SEED_ARTICLE
