"""The Store contract on Chroma: embedded (`PersistentClient`) and a real `chroma run` server."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.settings import Settings
from qa.store import Store, create_store
from tests.store_contract import CONFIG, StoreContract

pytestmark = pytest.mark.integration


class TestChromaStore(StoreContract):
    @pytest.fixture(params=["embedded", "server"])
    def store(self, request: pytest.FixtureRequest, tmp_path: Path) -> Store:
        name = f"contract-{request.node.name.split('[')[0][-30:].replace('_', '-')}".strip("-")
        if request.param == "server":
            host, port = request.getfixturevalue("chroma_server")
            settings = Settings(_env_file=None, chroma_host=host, chroma_port=port, collection=name)  # type: ignore[call-arg]
        else:
            settings = Settings(_env_file=None, data_dir=tmp_path / "data", collection=name)  # type: ignore[call-arg]
        created = create_store(settings)
        created.reset()
        created.check_config(CONFIG)
        return created
