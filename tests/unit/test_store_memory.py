"""The Store contract on the in-memory store (a real implementation, not a fake)."""

from __future__ import annotations

import pytest

from qa.store import Store
from qa.store.memory import InMemoryStore
from tests.store_contract import CONFIG, StoreContract

pytestmark = pytest.mark.unit


class TestInMemoryStore(StoreContract):
    @pytest.fixture
    def store(self) -> Store:
        created = InMemoryStore("contract")
        created.check_config(CONFIG)
        return created
