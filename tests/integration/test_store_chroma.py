"""The Store contract on Chroma: embedded (`PersistentClient`) and a real `chroma run` server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qa.errors import StoreError
from qa.settings import Settings
from qa.store import Store, create_store
from tests.conftest import REPO_ROOT
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


def test_the_keyword_index_is_rebuilt_from_chroma_when_missing_or_stale(tmp_path: Path) -> None:
    from tests.store_contract import index_words, worded, write

    settings = Settings(_env_file=None, data_dir=tmp_path / "data", collection="words")  # type: ignore[call-arg]
    store = create_store(settings)
    store.check_config(CONFIG)
    write(store, worded("w1", ["The volcano erupted."]))
    write(store, worded("w2", ["Ash fell on the town."]))
    sidecar = tmp_path / "data" / "keyword" / "words.sqlite"
    assert sidecar.exists()

    sidecar.unlink()  # deleted by hand, or lost with a backup that did not include it
    reopened = create_store(settings)
    assert [h.chunk_id for h in reopened.keyword_search("volcano", k=5)] == ["w1#0"]

    # An article indexed by a process that crashed before its words were written, and a ghost.
    from qa.store.keyword import KeywordIndex

    words = KeywordIndex(sidecar)
    words.delete_article("w2")
    index_words(words, worded("ghost", ["The volcano of ghosts."]))
    again = create_store(settings)
    assert [h.chunk_id for h in again.keyword_search("volcano ash", k=5)] == ["w1#0", "w2#0"]


def _in_another_process(data_dir: Path, code: str) -> None:
    """Run `code` against the same embedded database from a separate Python process (as `qa ingest` is)."""
    script = (
        "from pathlib import Path\n"
        "from qa.settings import Settings\n"
        "from qa.store import create_store\n"
        "from tests.store_contract import CONFIG, worded, write\n"
        f"settings = Settings(_env_file=None, data_dir=Path({str(data_dir)!r}), collection='shared')\n"
        "store = create_store(settings)\n"
        "store.check_config(CONFIG)\n" + code
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=REPO_ROOT, timeout=120)


def test_a_long_running_reader_sees_what_another_process_writes_and_deletes(tmp_path: Path) -> None:
    from tests.store_contract import unit, worded, write

    data_dir = tmp_path / "data"
    reader = create_store(Settings(_env_file=None, data_dir=data_dir, collection="shared"))  # type: ignore[call-arg]
    reader.check_config(CONFIG)
    write(reader, worded("first", ["The volcano erupted."]))
    assert [h.chunk.id for h in reader.search(unit(0), k=5)] == ["first#0"]

    # `qa ingest` from cron while `qa serve` runs: the running reader finds the new article at once.
    _in_another_process(data_dir, "write(store, worded('second', ['Ash fell.', 'Roads closed.']))")
    assert {h.chunk.id for h in reader.search(unit(1), k=5)} == {"first#0", "second#0", "second#1"}
    assert reader.search(unit(1), k=1)[0].chunk.id == "second#1"

    # `qa delete` elsewhere: no crash on the vanished chunks, and they are gone from the results.
    _in_another_process(data_dir, "store.delete_article('second')")
    assert [h.chunk.id for h in reader.search(unit(1), k=5)] == ["first#0"]
    assert reader.get_article("second") is None


def test_a_lost_chroma_server_is_a_clear_error_and_its_return_needs_no_restart(tmp_path: Path) -> None:
    from qa.ports import free_port
    from tests.integration.conftest import ChromaServer
    from tests.store_contract import unit, worded, write

    server = ChromaServer(tmp_path, free_port())
    server.start()
    try:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, chroma_host=server.host, chroma_port=server.port, data_dir=tmp_path / "data"
        )
        store = create_store(settings)
        store.check_config(CONFIG)
        write(store, worded("kept", ["The volcano erupted."]))

        server.stop()
        expected = f"cannot reach the chroma server {server.host}:{server.port}"
        with pytest.raises(StoreError, match=expected):
            store.search(unit(0), k=5)
        with pytest.raises(StoreError, match=expected):
            list(store.iter_chunks())
        cli = subprocess.run(
            [sys.executable, "-m", "qa", "stats"],
            env={**os.environ, "QA_CHROMA_HOST": server.host, "QA_CHROMA_PORT": str(server.port)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert cli.returncode == 1 and cli.stderr.startswith(f"error: {expected}")
        assert "Traceback" not in cli.stderr

        server.start()  # same data, same port: the same store object works again
        assert [h.chunk.id for h in store.search(unit(0), k=5)] == ["kept#0"]
    finally:
        server.stop()
